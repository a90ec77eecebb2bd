#ifndef ALCO_CRABBITMQ_SHIM_H
#define ALCO_CRABBITMQ_SHIM_H
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>
#include <stdio.h>
#include <string.h>

/* amqp_login is variadic, which Swift cannot call: the PLAIN mechanism with its two strings. */
static inline amqp_rpc_reply_t alco_amqp_login_plain(amqp_connection_state_t state, const char *vhost, int frame_max,
                                                     int heartbeat, const char *user, const char *password) {
    return amqp_login(state, vhost, 0, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}

/* Describes a non-normal RPC reply into buf; returns the AMQP reply code (406, 404, 320, ...)
   for server exceptions, 0 for library errors. */
static inline int alco_amqp_describe_reply(amqp_rpc_reply_t r, char *buf, size_t n) {
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
        snprintf(buf, n, "ok");
        return 0;
    case AMQP_RESPONSE_NONE:
        snprintf(buf, n, "missing RPC reply type");
        return 0;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        snprintf(buf, n, "%s", amqp_error_string2(r.library_error));
        return 0;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            amqp_connection_close_t *m = (amqp_connection_close_t *)r.reply.decoded;
            snprintf(buf, n, "connection closed by the broker: %d %.*s", m->reply_code, (int)m->reply_text.len,
                     (const char *)m->reply_text.bytes);
            return m->reply_code;
        }
        if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            amqp_channel_close_t *m = (amqp_channel_close_t *)r.reply.decoded;
            snprintf(buf, n, "channel closed by the broker: %d %.*s", m->reply_code, (int)m->reply_text.len,
                     (const char *)m->reply_text.bytes);
            return m->reply_code;
        }
        snprintf(buf, n, "unexpected broker method 0x%08X", r.reply.id);
        return -1;
    }
    snprintf(buf, n, "unknown reply");
    return -1;
}

/* After a server channel.close: acknowledge it so the channel number can be reused. */
static inline int alco_amqp_channel_close_ok(amqp_connection_state_t state, amqp_channel_t channel) {
    amqp_channel_close_ok_t ok;
    return amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
}

/* An unexpected frame arrived while consuming (a channel.close, a basic.return, ...):
   read it; returns the method id or 0 for non-method frames, -1 on error. */
static inline long alco_amqp_read_unexpected(amqp_connection_state_t state) {
    amqp_frame_t frame;
    if (amqp_simple_wait_frame(state, &frame) != AMQP_STATUS_OK) return -1;
    if (frame.frame_type != AMQP_FRAME_METHOD) return 0;
    return (long)frame.payload.method.id;
}

static inline long alco_amqp_channel_close_method(void) { return (long)AMQP_CHANNEL_CLOSE_METHOD; }
static inline long alco_amqp_connection_close_method(void) { return (long)AMQP_CONNECTION_CLOSE_METHOD; }
#endif

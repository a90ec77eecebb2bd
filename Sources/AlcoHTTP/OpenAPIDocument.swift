/// The v1 API described for tools (clients, schemathesis), served at `/api/v1/openapi.json`.
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.0.3",
          "info": {
            "title": "alco HTTP API",
            "version": "1",
            "description": "Search, read and collect logs. Errors are JSON {error, detail}. When the server is configured with credentials every path but /health needs a bearer token or basic auth."
          },
          "components": {
            "parameters": {
              "index": {"name": "index", "in": "query", "required": true, "description": "The index to read.", "schema": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"}},
              "q": {"name": "q", "in": "query", "description": "The query: Sphinx extended syntax (mode=extended), a literal substring (mode=substring, grep -F) or a regular expression over the logline (mode=regex, grep -E).", "schema": {"type": "string"}},
              "mode": {"name": "mode", "in": "query", "schema": {"type": "string", "enum": ["extended", "substring", "regex"], "default": "extended"}},
              "case": {"name": "case", "in": "query", "description": "Case sensitivity of substring and regex modes.", "schema": {"type": "string", "enum": ["insensitive", "sensitive"], "default": "insensitive"}},
              "field": {"name": "field", "in": "query", "description": "KEY:VALUE filters on js fields. Values of one key are alternatives, keys must all hold; -KEY:VALUE excludes.", "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": true},
              "since": {"name": "since", "in": "query", "description": "Start of the time range: ISO 8601 (in the index's zone without an offset), epoch seconds, or an age like 15m, 2h, 3d.", "schema": {"type": "string"}},
              "until": {"name": "until", "in": "query", "description": "End of the time range, as since.", "schema": {"type": "string"}},
              "pattern": {"name": "pattern", "in": "query", "description": "Only lines of these message patterns (ids from /api/v1/patterns; patterns merged into one count as it).", "schema": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]+$"}}, "style": "form", "explode": true},
              "not_pattern": {"name": "not_pattern", "in": "query", "description": "Hide lines of these message patterns.", "schema": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]+$"}}, "style": "form", "explode": true},
              "hl_q": {"name": "hl_q", "in": "query", "description": "Mark matches of this query (in hl_mode, hl_case) in the returned lines.", "schema": {"type": "string"}},
              "hl_mode": {"name": "hl_mode", "in": "query", "schema": {"type": "string", "enum": ["extended", "substring", "regex"]}},
              "hl_case": {"name": "hl_case", "in": "query", "schema": {"type": "string", "enum": ["insensitive", "sensitive"]}},
              "name": {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"}}
            },
            "schemas": {
              "Error": {"type": "object", "required": ["error", "detail"], "properties": {"error": {"type": "string"}, "detail": {"type": "string"}}},
              "Hit": {
                "type": "object", "required": ["id", "datetime", "logline", "js"],
                "properties": {
                  "id": {"type": "string", "description": "The line's id (a 64-bit number as text): time-ordered, the cursor for pages, context and tail."},
                  "datetime": {"type": "string", "description": "ISO 8601 with the index's offset."},
                  "logline": {"type": "string"},
                  "js": {"type": "object", "description": "The line's fields exactly as received."},
                  "highlight": {"type": "array", "description": "Matched spans of the logline as [start, end) UTF-16 offsets.", "items": {"type": "array", "items": {"type": "integer"}}}
                }
              },
              "IndexSettings": {
                "type": "object",
                "properties": {
                  "name": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"},
                  "retention_days": {"type": "integer", "minimum": 1},
                  "queue": {"type": "string"},
                  "routing_keys": {"type": "array", "items": {"type": "string"}},
                  "durable": {"type": "boolean"},
                  "time_zone": {"type": "string", "description": "IANA zone of day partitions."},
                  "producer_time_zone": {"type": "string", "description": "Zone producers write @timestamp in."},
                  "consumers": {"type": "integer", "minimum": 1, "maximum": 64, "description": "RabbitMQ consumers for this index (like ALCO's num_processes); unset: the server's default."},
                  "columns": {"type": "object", "description": "Column flags to set: {name: {filtered, display, excluded, context, indexed}}.", "additionalProperties": {"type": "object", "additionalProperties": {"type": "boolean"}}}
                }
              },
              "Index": {
                "type": "object",
                "properties": {
                  "name": {"type": "string"}, "retention_days": {"type": "integer"}, "queue": {"type": "string"},
                  "routing_keys": {"type": "array", "items": {"type": "string"}}, "durable": {"type": "boolean"},
                  "time_zone": {"type": "string"}, "producer_time_zone": {"type": "string"},
                  "consumers": {"type": ["integer", "null"]},
                  "documents": {"type": "integer"}, "disk_bytes": {"type": "integer"},
                  "days": {"type": "array", "items": {"type": "integer"}}, "problems": {"type": "array", "items": {"type": "string"}},
                  "last_5m": {"type": "integer"}, "per_minute": {"type": "array", "items": {"type": "integer"}, "description": "Lines per minute over the last hour, oldest first."}
                }
              },
              "Shortcut": {
                "type": "object", "required": ["url"],
                "properties": {"name": {"type": "string"}, "url": {"type": "string", "description": "A log-view path on this server."}, "default_field": {"type": "string"}, "description": {"type": "string"}}
              },
              "IngestReport": {"type": "object", "properties": {"stored": {"type": "integer"}, "rejected": {"type": "integer"}, "errors": {"type": "array", "items": {"type": "object"}}}}
            },
            "responses": {
              "BadRequest": {"description": "A bad parameter or query.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "NotFound": {"description": "No such index (or line, or shortcut).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "TooLarge": {"description": "The body is over the limit.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "Unauthorized": {"description": "Credentials are needed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "securitySchemes": {
              "bearer": {"type": "http", "scheme": "bearer"},
              "basic": {"type": "http", "scheme": "basic"}
            }
          },
          "security": [{}, {"bearer": []}, {"basic": []}],
          "paths": {
            "/health": {"get": {"summary": "Readiness: 200 once the data directory is open (the write-ahead log replayed) and every listener is bound; never needs credentials.", "security": [], "responses": {"200": {"description": "Ready.", "content": {"application/json": {"schema": {"type": "object"}}}}, "503": {"description": "Still opening (status \"opening\", Retry-After)."}}}},
            "/health/live": {"get": {"summary": "Liveness: 200 while the process runs, opening or not; never needs credentials.", "security": [], "responses": {"200": {"description": "Alive.", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics.", "responses": {"200": {"description": "Text exposition format.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/api/v1/openapi.json": {"get": {"summary": "This document.", "responses": {"200": {"description": "OpenAPI 3.", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/api/v1/search": {
              "get": {
                "summary": "Search lines: JSON pages with a next cursor, or every match streamed as NDJSON.",
                "parameters": [
                  {"$ref": "#/components/parameters/index"}, {"$ref": "#/components/parameters/q"}, {"$ref": "#/components/parameters/mode"},
                  {"$ref": "#/components/parameters/case"}, {"$ref": "#/components/parameters/field"}, {"$ref": "#/components/parameters/since"},
                  {"$ref": "#/components/parameters/until"}, {"$ref": "#/components/parameters/pattern"}, {"$ref": "#/components/parameters/not_pattern"},
                  {"name": "order", "in": "query", "description": "Id (time) order; desc by default for JSON, asc for NDJSON.", "schema": {"type": "string", "enum": ["asc", "desc"]}},
                  {"name": "limit", "in": "query", "description": "JSON: 1 to 10000, default 100. NDJSON: any, default all.", "schema": {"type": "integer", "minimum": 1}},
                  {"name": "after", "in": "query", "description": "Only lines with a greater id.", "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                  {"name": "before", "in": "query", "description": "Only lines with a smaller id.", "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                  {"name": "format", "in": "query", "description": "ndjson streams every match (also chosen by Accept: application/x-ndjson).", "schema": {"type": "string", "enum": ["json", "ndjson"]}},
                  {"name": "highlight", "in": "query", "description": "true adds each hit's matched spans.", "schema": {"type": "string", "enum": ["true", "false"]}},
                  {"name": "count", "in": "query", "description": "true answers only {index, count}: how many lines match.", "schema": {"type": "string", "enum": ["true", "false"]}},
                  {"$ref": "#/components/parameters/hl_q"}, {"$ref": "#/components/parameters/hl_mode"}, {"$ref": "#/components/parameters/hl_case"}
                ],
                "responses": {
                  "200": {"description": "Hits.", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {"index": {"type": "string"}, "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}}, "next": {"type": "string"}}}},
                    "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/Hit"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/v1/context": {
              "get": {
                "summary": "The lines before and after one line, unfiltered or sharing some fields' values with it.",
                "parameters": [
                  {"$ref": "#/components/parameters/index"},
                  {"name": "id", "in": "query", "required": true, "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                  {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 20}},
                  {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 20}},
                  {"name": "same", "in": "query", "description": "Comma-separated fields whose values the lines must share with the anchor.", "schema": {"type": "string"}},
                  {"$ref": "#/components/parameters/hl_q"}, {"$ref": "#/components/parameters/hl_mode"}, {"$ref": "#/components/parameters/hl_case"}
                ],
                "responses": {
                  "200": {"description": "The anchor and its neighbours in time order.", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "anchor": {"$ref": "#/components/schemas/Hit"}, "before": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}}, "after": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}}}}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/v1/tail": {
              "get": {
                "summary": "New matching lines as Server-Sent Events; each event's id is the line's id, so Last-Event-ID resumes.",
                "parameters": [
                  {"$ref": "#/components/parameters/index"}, {"$ref": "#/components/parameters/q"}, {"$ref": "#/components/parameters/mode"},
                  {"$ref": "#/components/parameters/case"}, {"$ref": "#/components/parameters/field"},
                  {"name": "after", "in": "query", "description": "Start after this id (Last-Event-ID takes precedence).", "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                  {"name": "backlog", "in": "query", "description": "Send the last N matching lines first.", "schema": {"type": "integer", "minimum": 0, "maximum": 10000, "default": 0}},
                  {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                  {"name": "highlight", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}}
                ],
                "responses": {
                  "200": {"description": "An endless event stream; data is a Hit as JSON.", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/v1/fields": {
              "get": {
                "summary": "The js fields of an index with their flags.",
                "parameters": [{"$ref": "#/components/parameters/index"}],
                "responses": {
                  "200": {"description": "Fields.", "content": {"application/json": {"schema": {"type": "object", "properties": {"index": {"type": "string"}, "fields": {"type": "array", "items": {"type": "object"}}}}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/v1/values": {
              "get": {
                "summary": "A field's values among the matching lines, most frequent first.",
                "parameters": [
                  {"$ref": "#/components/parameters/index"},
                  {"name": "name", "in": "query", "required": true, "description": "The field.", "schema": {"type": "string", "minLength": 1}},
                  {"$ref": "#/components/parameters/q"}, {"$ref": "#/components/parameters/mode"}, {"$ref": "#/components/parameters/case"},
                  {"$ref": "#/components/parameters/field"}, {"$ref": "#/components/parameters/since"}, {"$ref": "#/components/parameters/until"},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20}}
                ],
                "responses": {
                  "200": {"description": "Values with counts.", "content": {"application/json": {"schema": {"type": "object", "properties": {"field": {"type": "string"}, "distinct": {"type": "integer"}, "values": {"type": "array", "items": {"type": "object", "properties": {"value": {"type": "string", "nullable": true}, "count": {"type": "integer"}}}}}}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/v1/patterns": {
              "get": {
                "summary": "The message patterns of the matching lines (this node's), with counts, most frequent first.",
                "parameters": [
                  {"$ref": "#/components/parameters/index"}, {"$ref": "#/components/parameters/q"}, {"$ref": "#/components/parameters/mode"},
                  {"$ref": "#/components/parameters/case"}, {"$ref": "#/components/parameters/field"}, {"$ref": "#/components/parameters/since"},
                  {"$ref": "#/components/parameters/until"}, {"$ref": "#/components/parameters/pattern"}, {"$ref": "#/components/parameters/not_pattern"},
                  {"name": "new_since", "in": "query", "description": "Only patterns first seen at or after this time (as since).", "schema": {"type": "string"}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 50}}
                ],
                "responses": {
                  "200": {"description": "Patterns with counts.", "content": {"application/json": {"schema": {"type": "object", "properties": {"index": {"type": "string"}, "distinct": {"type": "integer"}, "patterns": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "template": {"type": "string"}, "count": {"type": "integer"}, "first_seen": {"type": "string"}}}}}}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/v1/histogram": {
              "get": {
                "summary": "Matching lines per time bucket; the bucket width is chosen from the range.",
                "parameters": [
                  {"$ref": "#/components/parameters/index"}, {"$ref": "#/components/parameters/q"}, {"$ref": "#/components/parameters/mode"},
                  {"$ref": "#/components/parameters/case"}, {"$ref": "#/components/parameters/field"}, {"$ref": "#/components/parameters/since"},
                  {"$ref": "#/components/parameters/until"},
                  {"name": "buckets", "in": "query", "description": "About how many buckets.", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 60}}
                ],
                "responses": {
                  "200": {"description": "Buckets.", "content": {"application/json": {"schema": {"type": "object", "properties": {"bucket_seconds": {"type": "integer"}, "buckets": {"type": "array", "items": {"type": "object", "properties": {"start": {"type": "string"}, "count": {"type": "integer"}}}}}}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/v1/indexes": {
              "get": {
                "summary": "Every index with its settings, size and recent activity.",
                "responses": {"200": {"description": "Indexes.", "content": {"application/json": {"schema": {"type": "object", "properties": {"indexes": {"type": "array", "items": {"$ref": "#/components/schemas/Index"}}}}}}}}
              },
              "post": {
                "summary": "Create an index.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IndexSettings"}}}},
                "responses": {
                  "201": {"description": "Created.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Index"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "409": {"description": "It exists.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                }
              }
            },
            "/api/v1/indexes/{name}": {
              "parameters": [{"$ref": "#/components/parameters/name"}],
              "get": {"summary": "One index.", "responses": {"200": {"description": "The index.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Index"}}}}, "404": {"$ref": "#/components/responses/NotFound"}}},
              "patch": {
                "summary": "Change settings (retention, zones, queue, routing keys) and columns' flags.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IndexSettings"}}}},
                "responses": {"200": {"description": "Changed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Index"}}}}, "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}}
              },
              "delete": {"summary": "Drop the index and its data.", "responses": {"200": {"description": "Dropped.", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": {"$ref": "#/components/responses/NotFound"}}}
            },
            "/api/v1/shortcuts": {
              "get": {"summary": "Saved searches.", "responses": {"200": {"description": "Shortcuts.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Shortcut"}}}}}}}
            },
            "/api/v1/shortcuts/{name}": {
              "parameters": [{"$ref": "#/components/parameters/name"}],
              "put": {
                "summary": "Save a search under a name.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Shortcut"}}}},
                "responses": {"200": {"description": "Saved.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Shortcut"}}}}, "400": {"$ref": "#/components/responses/BadRequest"}}
              },
              "delete": {"summary": "Remove a shortcut.", "responses": {"200": {"description": "Removed.", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": {"$ref": "#/components/responses/NotFound"}}}
            },
            "/api/v1/ingest/{index}": {
              "post": {
                "summary": "Ingest JSON lines (logstash format, or any object with message and time fields named by parameters); gzip accepted.",
                "parameters": [
                  {"name": "index", "in": "path", "required": true, "schema": {"type": "string"}},
                  {"name": "message_field", "in": "query", "schema": {"type": "string"}},
                  {"name": "time_field", "in": "query", "schema": {"type": "string"}}
                ],
                "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                "responses": {"200": {"description": "Stored and durable; bad lines reported one by one.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestReport"}}}}, "404": {"$ref": "#/components/responses/NotFound"}, "413": {"$ref": "#/components/responses/TooLarge"}}
              }
            },
            "/_bulk": {
              "post": {
                "summary": "The Elasticsearch bulk API (Filebeat, Vector, Fluent Bit, Logstash).",
                "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                "responses": {"200": {"description": "Per-item results like Elasticsearch.", "content": {"application/json": {"schema": {"type": "object"}}}}, "413": {"$ref": "#/components/responses/TooLarge"}}
              }
            },
            "/{index}/_bulk": {
              "post": {
                "summary": "The Elasticsearch bulk API with a default index.",
                "parameters": [{"name": "index", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                "responses": {"200": {"description": "Per-item results like Elasticsearch.", "content": {"application/json": {"schema": {"type": "object"}}}}, "413": {"$ref": "#/components/responses/TooLarge"}}
              }
            },
            "/api/grep/{index}/": {
              "get": {
                "summary": "ALCO's search API, kept: the search terms as one phrase on the logline, field filters as parameters, cursor pages.",
                "parameters": [
                  {"name": "index", "in": "path", "required": true, "schema": {"type": "string"}},
                  {"name": "search", "in": "query", "schema": {"type": "string"}},
                  {"name": "start_ts", "in": "query", "description": "YYYY-MM-DD HH:MM:SS or ISO 8601; today's start by default.", "schema": {"type": "string"}},
                  {"name": "end_ts", "in": "query", "schema": {"type": "string"}},
                  {"name": "columns", "in": "query", "description": "Comma-separated js fields to return.", "schema": {"type": "string"}},
                  {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}},
                  {"name": "cursor", "in": "query", "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "A page.", "content": {"application/json": {"schema": {"type": "object", "properties": {"next": {"type": "string", "nullable": true}, "previous": {"type": "string", "nullable": true}, "results": {"type": "array", "items": {"type": "object"}}}}}}}, "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}}
              }
            },
            "/api/collector/indices/": {
              "get": {"summary": "ALCO's index list, kept.", "responses": {"200": {"description": "Indexes.", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}}}
            }
          }
        }
        """#
}

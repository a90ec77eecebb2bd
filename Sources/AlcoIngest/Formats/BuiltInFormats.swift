/// The formats alco knows without being told, as data. Patterns are RE2 syntax matched at the
/// start of a line; named groups are described in `LogFormat`. Order matters only for ties in
/// detection: specific formats come before the generic ones they resemble.
enum BuiltInFormats {
    static let level = #"(?P<level>TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|CRITICAL|FATAL|trace|debug|info|notice|warn|warning|error|critical|fatal)"#

    static let specs: [LogFormat.Spec] = [
        // LogHub's samples, each as its system writes it.
        .init(
            name: "bgl", title: "Blue Gene/L RAS log (LogHub BGL)",
            pattern:
                #"(?P<label>\S+) (?P<epoch>\d{9,10}) \d{4}\.\d{2}\.\d{2} (?P<node>\S+) (?P<time>\d{4}-\d{2}-\d{2}-\d{2}\.\d{2}\.\d{2}\.\d+) \S+ (?P<type>[A-Z]+) (?P<component>[A-Z_]+) (?P<level>[A-Z]+) "#,
            time: ["%Y-%m-%d-%H.%M.%S%f"]),
        .init(
            name: "thunderbird", title: "Thunderbird supercomputer syslog (LogHub Thunderbird)",
            pattern:
                #"(?P<label>\S+) (?P<epoch>\d{9,10}) (?P<date>\d{4}\.\d{2}\.\d{2}) (?P<node>\S+) [A-Z][a-z]{2} +\d{1,2} (?P<time>\d{2}:\d{2}:\d{2}) (?P<host>\S+)(?: (?P<program>[^\[: ]+)(?:\[(?P<pid>\d+)\])?:)?"#,
            time: ["%Y.%m.%d %H:%M:%S"]),
        .init(
            name: "hpc", title: "HPC cluster log (LogHub HPC)",
            pattern: #"(?P<logid>\d+) (?P<node>\S+) (?P<component>\S+) (?P<state>\S+) (?P<time>\d{9,10}) (?P<flag>-?\d+) "#,
            time: ["%s"]),
        .init(
            name: "hdfs", title: "Hadoop HDFS (LogHub HDFS)",
            pattern: #"(?P<time>\d{6} \d{6}) (?P<pid>\d+) (?P<level>[A-Z]+) (?P<component>[^:\s]+): "#,
            time: ["%y%m%d %H%M%S"]),
        .init(
            name: "hadoop", title: "Hadoop MapReduce (LogHub Hadoop)",
            pattern: #"(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) (?P<level>[A-Z]+) \[(?P<thread>[^\]]*)\] (?P<logger>[^:\s]+): "#,
            time: ["%Y-%m-%d %H:%M:%S%f"]),
        .init(
            name: "zookeeper", title: "ZooKeeper (LogHub Zookeeper)",
            pattern: #"(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) - (?P<level>[A-Z]+) +\[(?P<thread>.*?)\] - "#,
            time: ["%Y-%m-%d %H:%M:%S%f"]),
        .init(
            name: "openstack", title: "OpenStack service log with file name prefix (LogHub OpenStack)",
            pattern:
                #"(?P<logfile>\S+\.log\S*) (?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+) (?P<pid>\d+) (?P<level>[A-Z]+) (?P<logger>\S+) (?:\[(?:(?P<request_id>req-[^\s\]]+) (?P<user_id>\S+) (?P<project_id>\S+) [^\]]*|-)\] )?"#,
            time: ["%Y-%m-%d %H:%M:%S%f"]),
        .init(
            name: "healthapp", title: "HealthApp (LogHub HealthApp)",
            pattern: #"(?P<time>\d{8}-\d{1,2}:\d{1,2}:\d{1,2}:\d{1,3})\|(?P<component>[^|]*)\|(?P<pid>\d+)\|"#,
            time: ["%Y%m%d-%H:%M:%S:%L"]),
        .init(
            name: "proxifier", title: "Proxifier (LogHub Proxifier)",
            pattern: #"\[(?P<time>\d{2}\.\d{2} \d{2}:\d{2}:\d{2})\] (?P<program>.+?) - "#,
            time: ["%m.%d %H:%M:%S"]),
        .init(
            name: "spark", title: "Spark / log4j with two-digit years (LogHub Spark)",
            pattern: #"(?P<time>\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) (?P<level>[A-Z]+) (?P<logger>[^:\s]+): "#,
            time: ["%y/%m/%d %H:%M:%S"]),
        .init(
            name: "windows_cbs", title: "Windows CBS log (LogHub Windows)",
            pattern: #"(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}), (?P<level>[A-Za-z]+) +(?P<component>\S+) "#,
            time: ["%Y-%m-%d %H:%M:%S"]),
        .init(
            name: "logcat", title: "Android logcat, threadtime (LogHub Android)",
            pattern: #"(?P<time>\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}) +(?P<pid>\d+) +(?P<tid>\d+) (?P<level>[VDIWEFA]) (?P<tag>[^:]*?) *: "#,
            time: ["%m-%d %H:%M:%S%f"]),
        .init(
            name: "apache_error", title: "Apache error log (LogHub Apache)",
            pattern:
                #"\[(?P<time>[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4})\] \[(?:(?P<module>[a-z_0-9]+):)?(?P<level>[a-z]+[0-9]?)\](?: \[pid (?P<pid>\d+)(?::tid \d+)?\])?(?: \[client (?P<client>[^\]]+)\])?"#,
            time: ["%a %b %d %H:%M:%S%f %Y"]),
        // Web servers.
        .init(
            name: "access_log", title: "Apache / Nginx access log (common or combined)",
            pattern:
                #"(?P<client>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>\S+)(?: [^"]*)?" (?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<referrer>[^"]*)" "(?P<agent>[^"]*)")?"#,
            time: ["%d/%b/%Y:%H:%M:%S %z"]),
        // Syslog.
        .init(
            name: "syslog_rfc5424", title: "Syslog, RFC 5424",
            pattern: #"<(?P<pri>\d{1,3})>1 (?P<time>\S+) (?P<host>\S+) (?P<program>\S+) (?P<pid>\S+) (?P<msgid>\S+) "#,
            time: ["%Y-%m-%dT%H:%M:%S%f%z"]),
        .init(
            name: "syslog", title: "Syslog, RFC 3164 (Linux, macOS, OpenSSH; LogHub Linux, Mac, OpenSSH)",
            pattern:
                #"(?:<(?P<pri>\d{1,3})>)?(?P<time>[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}) (?P<host>\S+) +(?:(?P<program>[^\[: ][^\[:]*?)(?:\[(?P<pid>\d+)\])?(?: \(\[\d+\]\))?: )?"#,
            time: ["%b %d %H:%M:%S"]),
        // Language runtimes.
        .init(
            name: "glog", title: "glog / klog (Go, C++)",
            pattern: #"(?P<level>[IWEF])(?P<time>\d{4} \d{2}:\d{2}:\d{2}\.\d{6}) +(?P<tid>\d+) (?P<source>[^\]\s]+)\] "#,
            time: ["%m%d %H:%M:%S%f"]),
        .init(
            name: "python", title: "Python logging (asctime - name - levelname - message)",
            pattern: #"(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) - (?P<logger>\S+) - (?P<level>[A-Z]+) - "#,
            time: ["%Y-%m-%d %H:%M:%S%f"]),
        .init(
            name: "logback", title: "log4j / logback default (time [thread] level logger - message)",
            pattern: #"(?P<time>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}[.,]\d{3}) \[(?P<thread>[^\]]*)\] +(?P<level>[A-Z]+) +(?P<logger>\S+) +- "#,
            time: ["%Y-%m-%d%T%H:%M:%S%f"]),
        .init(
            name: "go_log", title: "Go's log package (date time message)",
            pattern: #"(?P<time>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) "#,
            time: ["%Y/%m/%d %H:%M:%S%f"]),
        // Whatever starts with an ISO 8601 / RFC 3339 time, with a level after it if any.
        .init(
            name: "iso8601", title: "Lines starting with an ISO 8601 / RFC 3339 time",
            pattern: #"\[?(?P<time>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}| ?UTC)?)\]?(?:\s+\[?"# + level + #"\]?)?"#,
            time: ["%Y-%m-%d%T%H:%M:%S%f%z", "%Y-%m-%d%T%H:%M:%S%f %z"]),
    ]
}

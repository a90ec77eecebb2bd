-- sysbench script: each thread sends the anchor queries (one per line of $ANCHOR_QUERIES) in
-- random order over its own MySQL connection; sysbench reports throughput and latency
-- percentiles from a native client, so the load generator does not share the server's cores
-- as heavily as Python clients do.
local queries = {}

function thread_init()
    for line in io.lines(os.getenv("ANCHOR_QUERIES")) do
        if #line > 0 then table.insert(queries, line) end
    end
    drv = sysbench.sql.driver()
    con = drv:connect()
end

function event()
    con:query(queries[sysbench.rand.uniform(1, #queries)])
end

function thread_done()
    con:disconnect()
end

-- wrk script for bench/apigateway.py: a GET of an invoke URL (path style, /_aws/execute-api/ID/STAGE/PATH,
-- given in wrk's URL) as curl or a browser sends it. No response() hook, to keep the client light on the
-- cores it shares with the server; wrk counts non-2xx answers itself.
wrk.method = "GET"
wrk.headers["Accept"] = "application/json"

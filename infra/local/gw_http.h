/* gw_http: the local API Gateway HTTP API in front of the function hosts.
 *
 * Contract: serves HTTP/1.1 on bind_addr:port (one thread per connection).
 * Each request is routed by exact path (gw_routes), turned into a payload 2.0
 * event, invoked synchronously on its function's host, and the function's
 * answer mapped back (gw_event). Answers that are not the function's own,
 * with API Gateway's bodies:
 *   404 {"message":"Not Found"}              no route for the path
 *   413 {"message":"Request Entity Too Large"} body/event over 6 MB
 *   500 {"message":"Internal Server Error"}  function error, malformed
 *                                            response, function timeout
 *   502 {"message":"Internal Server Error"}  bootstrap missing, process crashed
 *   503 {"message":"Service Unavailable"}    integration timeout (no answer
 *                                            within integration_timeout_ms)
 * Requests the gateway refuses before routing ({"error":code,"message":...},
 * connection closed): 414 request line over 10,240 bytes, 431 request line
 * and headers over 10,240 bytes (API Gateway's quota), 400 conflicting
 * Content-Length headers. Malformed HTTP, a version other than 1.0/1.1 and
 * heads too big for the 640 KB connection pool get libmicrohttpd's own HTML
 * answers (it offers no hook for those).
 * Slow senders: a connection must deliver each request within
 * request_timeout_ms of its start (accept, or the previous answer) or it is
 * closed; of the 256 connections at most 128 may be receiving, the oldest
 * is closed to admit a new one, so answers always have room.
 * Every request logs one gateway.request line (path only, never the query).
 * Stopping: quiesce (no new connections), shut the hosts down (ends pending
 * invocations), then stop (joins the connection threads). */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>

#include "gw_hosts.h"
#include "gw_routes.h"

typedef struct gw_http_config {
    const char *bind_addr; /* numeric IPv4 or IPv6 */
    unsigned short port;   /* 0 = any free port */
    const gw_routes *routes;
    const gw_hosts *hosts;
    long integration_timeout_ms;
    long request_timeout_ms; /* receiving one request (headers and body) */
} gw_http_config;

typedef struct gw_http gw_http;

gw_http *gw_http_start(const gw_http_config *cfg, char *err, size_t errlen);
unsigned short gw_http_port(const gw_http *g);
void gw_http_quiesce(gw_http *g);
void gw_http_stop(gw_http *g);

#endif

/* gw_http: the local API Gateway HTTP API in front of the function hosts.
 *
 * Contract: serves HTTP/1.1 (and 1.0) on bind_addr:port, one thread per
 * connection, keep-alive and pipelined requests answered in order. The
 * gateway reads requests itself (gw_head), so every answer, refusals
 * included, is its own: no library page. Each request is routed by exact
 * path (gw_routes), turned into a payload 2.0 event, invoked synchronously
 * on its function's host, and the function's answer mapped back (gw_event;
 * the function's framing and hop-by-hop headers, and any header with a CR
 * or LF, are dropped). Answers that are not the function's own, with API
 * Gateway's bodies:
 *   404 {"message":"Not Found"}              no route for the path
 *   413 {"message":"Request Entity Too Large"} body over 6 MB (refused as
 *                                            soon as its length says so),
 *                                            or the event over 6 MB
 *   500 {"message":"Internal Server Error"}  function error, malformed
 *                                            response, function timeout
 *   502 {"message":"Internal Server Error"}  bootstrap missing, process crashed
 *   503 {"message":"Service Unavailable"}    integration timeout (no answer
 *                                            within integration_timeout_ms)
 * Requests the gateway refuses before routing, {"error":code,"message":...}
 * (see gw_head.h): 400 bad_request (malformed HTTP, HTTP/1.1 without Host,
 * bad or conflicting framing headers, malformed chunked body), 414
 * uri_too_long and 431 headers_too_large (API Gateway's 10,240-byte quota),
 * 501 not_implemented (a transfer coding besides chunked), 505
 * http_version_not_supported. A refusal closes the connection (what the
 * client still sends is read and dropped for up to a second first, so the
 * answer is not lost to a reset). Every answer has an apigw-requestid.
 * Slow senders: a connection must deliver each request within
 * request_timeout_ms of its start (accept, or the previous answer) or it is
 * closed without an answer; of the 256 connections at most 128 may be
 * receiving, the oldest is closed to admit a new one, so answers always have
 * room; an answer that makes no progress for 30 s closes its connection.
 * Every request logs one gateway.request line (path only, never the query).
 * Stopping: quiesce (no new connections), shut the hosts down (ends pending
 * invocations), then stop (ends every connection, waits for their threads). */
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

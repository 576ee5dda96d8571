/* blackhole: a TCP server on 127.0.0.1 that accepts every connection, reads
 * whatever is sent and never answers: the upstream that hangs, for tests of
 * deadlines (no client call may wait on it past its deadline).
 *
 * Contract: bh_start() listens on an ephemeral port and serves from its own
 * thread until bh_stop(), which closes every connection and joins the
 * thread. bh_connections() counts the connections accepted so far. */
#ifndef BLACKHOLE_H
#define BLACKHOLE_H

typedef struct blackhole blackhole;

blackhole *bh_start(void); /* NULL on failure (message on stderr) */
int bh_port(const blackhole *b);
/* "http://127.0.0.1:<port>": the base URL a client under test is given. */
const char *bh_url(const blackhole *b);
int bh_connections(blackhole *b);
void bh_stop(blackhole *b); /* NULL is fine */

#endif

/* rec_exchange: a recorder in front of an exchange table (services/exchange.h),
 * for tests that compare what two runs sent: the simulated exchange and the
 * Binance client against fake_binance (tests/scenarios/run_parity.c).
 *
 * Contract: every call goes to the inner table unchanged (reads, market
 * data, writes); each write and lookup (configure, place_order(s),
 * place_algo_orders, query, cancel) also appends one line to log per
 * element, in the order sent, stating the request as the trader made it and
 * the answer the inner exchange gave:
 *   SETUP <what> <symbol> <value> -> <status>[ <code>]
 *   ORDER <symbol> <side> <type> qty=<q> price=<p> tif=<t> reduce=<0|1> id=<client id>
 *         -> <status>[ <code>] <order status> executed=<q> avg=<price>
 *   ALGO <symbol> <side> <type> trigger=<p> qty=<q> reduce=<0|1> id=<client id>
 *        -> <status>[ <code>] <algo status>
 *   QUERY|CANCEL <symbol> algo=<0|1> id=<client id> -> <status>[ <code>]
 * (one line each; prices of answers as %.10g). close does not close the
 * inner table: its owner does. */
#ifndef REC_EXCHANGE_H
#define REC_EXCHANGE_H

#include "platform/dstr.h"
#include "services/exchange.h"

typedef struct rec_exchange {
    exchange ex;     /* hand &r->ex to the code under test */
    exchange *inner; /* borrowed */
    dstr log;
} rec_exchange;

void rec_exchange_init(rec_exchange *r, exchange *inner);
void rec_exchange_free(rec_exchange *r); /* the log, not inner */

#endif

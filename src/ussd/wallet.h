/* The reference mobile-money wallet behind the gateway: register (set PIN), send money,
 * cash-out at an agent, buy airtime, balance, mini-statement, change PIN. Every money
 * movement goes through the gateway's gates (gw.h): confirmation screen naming the
 * counterparty, amount and fee, PIN after it in the same session, SIM-swap cooling, limits,
 * idempotent execution. Texts come from the message catalogue (config/messages/en.yaml). */
#ifndef DFS_WALLET_H
#define DFS_WALLET_H
#include <stdint.h>
#include <stdio.h>

#include "gw.h"

extern const struct gw_app_ops wallet_app;
extern const char *const wallet_required_messages[];

/* KYC directory: the names registration takes (a wallet needs a registered SIM). */
int wallet_kyc_put(struct udb *db, const char *msisdn, const char *name, int64_t now);
/* CSV "msisdn,name" a line; '#' comments. "line N: problem" in err. */
int wallet_kyc_import(struct udb *db, FILE *f, int64_t now, unsigned *n, char *err, size_t errsz);
/* An agent till: ledger account "agent:<number>". -EEXIST is not an error here. */
int wallet_agent_ensure(struct ledger *l, const char *number, const char *name, int64_t now);
/* Register a wallet directly (what the register menu does after the PIN is confirmed). */
int wallet_register(struct udb *db, const char *msisdn, const char *name, const char *imsi,
		    const char *pin_hash, int64_t now);

#endif

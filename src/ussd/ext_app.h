/* External DFS applications over HTTP(S) with libcurl (see ext_app.c for the contract). */
#ifndef DFS_EXT_APP_H
#define DFS_EXT_APP_H
#include "gw.h"

extern const struct gw_app_ops ext_app;

#endif

/* The MAP face on the wire: an M3UA SGP (RFC 4666; TCP or SCTP per the endpoint) that the
 * HLR's ASP connects to, serving one application server; every DATA goes through a map_face
 * on the gateway, answers go back on the link (and stream) the request came in on, and a
 * timer sweeps idle dialogues every second. Runs in the caller's event loop; the face's time
 * is the gateway's clock. */
#ifndef DFS_MAP_LISTENER_H
#define DFS_MAP_LISTENER_H
#include <stddef.h>
#include <stdint.h>

#include "m3ua_asp.h"
#include "map_face.h"
#include "transport.h"

struct map_listener;

/* sg: the SGP's endpoint, routing context and traffic mode (name and callbacks are ours).
 * NULL with err on failure. */
struct map_listener *map_listener_new(struct tp_net *net, const struct m3ua_sg_cfg *sg,
				      struct gw *g, const struct map_face_config *fc, char *err,
				      size_t errsz);
uint16_t map_listener_port(const struct map_listener *ml);
const struct map_face *map_listener_face(const struct map_listener *ml);
/* Network-initiated USSD (map_face_push) through the active ASP; loop thread only.
 * -ENOTCONN when no ASP is active, else as map_face_push. */
int map_listener_push(struct map_listener *ml, const struct map_push *req);
/* Closes the SGP and releases every dialogue. */
void map_listener_free(struct map_listener *ml);

#endif

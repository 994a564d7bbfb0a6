/* CRC32c (Castagnoli, polynomial 0x1EDC6F41 reflected 0x82F63B78), the SCTP checksum
 * (RFC 9260 appendix A, RFC 3309). */
#ifndef DFS_CRC32C_H
#define DFS_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0 for a fresh computation. Returns the finished CRC
 * (already complemented), so crc32c(crc32c(0, a), b) == crc32c(0, a || b). */
uint32_t crc32c(uint32_t crc, const void *p, size_t len);

/* The SCTP checksum of a whole packet (common header + chunks) whose checksum field
 * (bytes 8..11) is taken as zero, in the byte order it goes on the wire: store the
 * result little-endian (RFC 9260 appendix A). */
uint32_t crc32c_sctp(const uint8_t *pkt, size_t len);

#endif

/* Real TCAP messages used by the TCAP and MAP tests and as fuzz seeds.
 * The first seven are the SigFW cases of ../shared/vectors/sigfw-cases.md (hex starting at the
 * TCAP tag); the last is the TCAP part of ../shared/vectors/captures/gsm_map_with_ussd_string.pcap
 * (frame 1, offset 0x6c of `tshark -x`). Header-only. */
#ifndef DFS_TCAP_VECTORS_H
#define DFS_TCAP_VECTORS_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tcap_vector {
	const char *name;
	int opcode;
	const char *hex;
};

static const struct tcap_vector tcap_vectors[] = {
	{"anyTimeInterrogation", 71,
	 "627e4804000000026b432841060700118605010101a036603480020780a109060704000001001d03be232821060704000001"
	 "010101a016a01480099611111111111111f18107961111111111f16c31a12f0201000201473027a009800711111111111111"
	 "a10f80008100830084010086008500870083099611111111111111f1"},
	{"provideSubscriberLocation", 83,
	 "62454804000000536b1a2818060700118605010101a00d600ba1090607040000010026036c21a11f020101020153301730"
	 "038001010407911111111111118307111111111111f1"},
	{"sendAuthenticationInfo", 56, "6516480433119839490402035ea26c08a106020102020138"},
	{"processUnstructuredSS-Request", 59,
	 "62754804000000016b432841060700118605010101a036603480020780a109060704000001001302be2328210607040000"
	 "01010101a016a01480099611111111111111f18107961111111111f16c28a12602010002013b301e04010f0410aa582ca6"
	 "5ac562b1582c168bc562b1118007911111111111f1"},
	{"cancelLocation", 3,
	 "623b4804000000036b1a2818060700118605010101a00d600ba1090607040000010002036c17a115020101020103a30d04"
	 "0811111111111111f10a0100"},
	{"provideSubscriberInfo", 70,
	 "623e4804000000466b1a2818060700118605010101a00d600ba109060704000001001c036c1aa1180201010201463010800811"
	 "111111111111f1a20480008300"},
	{"provideRoamingNumber", 4,
	 "625d4804000000046b1a2818060700118605010101a00d600ba1090607040000010003026c39a137020101020104302f8008"
	 "11111111111111f18107111111111111f18207111111111111f1a5080a010104030401a0880791111111111111"},
	{"ussd-capture", 59,
	 "626a48042f3b46026b3a2838060700118605010101a02d602b80020780a109060704000001001302be1a28180607040000"
	 "01010101a00da00b80099656051124006913f66c26a12402010102013b301c04010f040eaa180da682dd6c31192d36bbdd"
	 "468007917267415827f2"},
};
#define TCAP_N_VECTORS (sizeof(tcap_vectors) / sizeof(tcap_vectors[0]))

/* Hex string to bytes; returns the byte count, or 0 on a bad string or lack of room. */
static inline size_t tv_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	if (strlen(hex) % 2 || n > cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + (size_t)k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return 0;
		}
		out[i] = (uint8_t)v;
	}
	return n;
}

#endif

/* What the firewall tests share: the network they play (a home operator, the roaming partner
 * Alpen, a GT without agreement), its policy YAML, and real TCAP messages built with the codecs'
 * encoders or taken from ../shared/vectors. Header-only, for cmocka tests. */
#ifndef DFS_FW_TESTLIB_H
#define DFS_FW_TESTLIB_H
#include <stdio.h>
#include <string.h>

#include "map.h"
#include "sigmsg_build.h"

#define FWT_PC_HOME 0x0101
#define FWT_PC_PARTNER 0x0202
#define FWT_HOME_IMSI "640990000000001"
#define FWT_HOME_HLR "25579900001"
#define FWT_ALPEN_VLR "491799001234"
#define FWT_FOREIGN_GT "33612345678"

/* The policy part of the configuration (the tests append links). */
static const char fwt_policy_yaml[] =
	"operator: Test\n"
	"home:\n"
	"  country_code: '255'\n"
	"  imsi_prefixes: ['64099']\n"
	"  gt_prefixes: ['2557990']\n"
	"  msisdn_prefixes: ['25579']\n"
	"nodes:\n"
	"  hlr: ['25579900001']\n"
	"  vlr: ['25579900100']\n"
	"  msc: ['25579900100']\n"
	"partners:\n"
	"  - {name: Alpen, country: '49', gt_prefixes: ['49179900'], imsi_prefixes: ['26299']}\n";

/* updateLocation (Begin, AC networkLocUp v3) of the home subscriber roaming at Alpen, from
 * Alpen's VLR: allowed. */
static inline size_t fwt_ul_tcap(uint8_t *tcap, size_t cap, uint32_t otid)
{
	struct map_fields f;
	map_fields_init(&f);
	f.has_imsi = true;
	snprintf(f.imsi, sizeof(f.imsi), "%s", FWT_HOME_IMSI);
	tl_maddr(&f.vlr, FWT_ALPEN_VLR);
	tl_maddr(&f.msc, FWT_ALPEN_VLR);
	struct dfs_wbuf tw = dfs_wbuf_init(tcap, cap);
	assert_int_equal(map_build_begin(&tw, otid, 1, 3, 2, 1, &f), 0);
	return tw.len;
}

/* The anyTimeInterrogation Begin of ../shared/vectors/sigfw-cases.md (otid 2, invoke id 0),
 * bytes nobody here wrote. */
#define FWT_VECTOR_TID 2u
static const char fwt_sigfw_ati_hex[] =
	"627e4804000000026b432841060700118605010101a036603480020780a109060704000001001d03be2328210607"
	"04000001010101a016a01480099611111111111111f18107961111111111f16c31a12f0201000201473027a00980"
	"0711111111111111a10f80008100830084010086008500870083099611111111111111f1";

static inline size_t fwt_vector_tcap(uint8_t *tcap, size_t cap)
{
	size_t tl = strlen(fwt_sigfw_ati_hex) / 2;
	assert_true(tl <= cap);
	for (size_t i = 0; i < tl; i++)
		assert_int_equal(sscanf(fwt_sigfw_ati_hex + 2 * i, "%2hhx", &tcap[i]), 1);
	return tl;
}

/* Lines of a file containing needle (NULL: all lines); 0 when the file is missing. */
static inline unsigned fwt_count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[4096];
	unsigned n = 0;
	while (fgets(line, sizeof(line), f))
		if (!needle || strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

#endif

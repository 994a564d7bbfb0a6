/* libFuzzer target: TS 102 225 command and response packet parsers, deciphering/verification with
 * the known-answer keys, the SMS UDH / USSD reassembly, and the wallet TLVs. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ota_packet.h"
#include "ota_transport.h"
#include "ota_wallet.h"

static void kat_keys(struct ota_keyset *aes, struct ota_keyset *des)
{
	static const uint8_t k[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				      0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
	memset(aes, 0, sizeof(*aes));
	memset(des, 0, sizeof(*des));
	aes->kvn = 2;
	des->kvn = 3;
	aes->kic.alg = aes->kid.alg = OTA_ALG_AES;
	des->kic.alg = des->kid.alg = OTA_ALG_3DES2;
	struct ota_key *all[4] = {&aes->kic, &aes->kid, &des->kic, &des->kid};
	static const uint8_t first[4] = {0x20, 0x20, 0x30, 0x30}, second[4] = {0x01, 0x11, 0x01, 0x11};
	for (int i = 0; i < 4; i++) {
		memcpy(all[i]->k, k, 16);
		all[i]->k[0] = first[i];
		all[i]->k[1] = second[i];
		all[i]->len = 16;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[70000];
	struct ota_keyset aes, des;
	struct ota_cmd_pkt c;
	struct ota_cmd_open co;
	struct ota_rsp_pkt r;
	struct ota_rsp_open ro;
	struct dfs_err e;

	kat_keys(&aes, &des);
	if (ota_cmd_decode(data, size, 0, &c, &e) == 0) {
		ota_cmd_unprotect(&c, &aes, NULL, 0, OTA_F_ALLOW_DES, buf, sizeof(buf), &co);
		ota_cmd_unprotect(&c, &des, (const uint8_t *)"\x70", 1, 0, buf, sizeof(buf), &co);
	}
	/* a PoR: SPI of the command in the first two bytes, then UDH-less RPL.. */
	if (size > 2 && ota_rsp_decode(data + 2, size - 2, 2, &r, &e) == 0) {
		ota_rsp_unprotect(&r, data, 0x22, 0x22, &aes, NULL, 0, 0, buf, sizeof(buf), &ro);
		ota_rsp_unprotect(&r, data, 0x35, 0x35, &des, (const uint8_t *)"\x02\x71\x00", 3, 0, buf,
				  sizeof(buf), &ro);
	}
	if (ota_rsp_decode(data, size, 0, &r, &e) == 0) {
		static const uint8_t spi[2] = {0x16, 0x39};
		ota_rsp_unprotect(&r, spi, 0x22, 0x22, &aes, NULL, 0, 0, buf, sizeof(buf), &ro);
	}
	/* transport: the input cut into TP-UD / USSD pieces at 0xff bytes */
	for (int bearer = 0; bearer <= 1; bearer++) {
		struct ota_reasm *ra = ota_reasm_new(bearer ? OTA_BEARER_USSD : OTA_BEARER_SMS);
		size_t start = 0;
		if (!ra)
			return 0;
		for (size_t i = 0; i <= size; i++) {
			if (i == size || data[i] == 0xff) {
				if (ota_reasm_add(ra, data + start, i - start, &e) == 1) {
					size_t n;
					bool resp;
					const uint8_t *p = ota_reasm_packet(ra, &n, &resp);
					if (p)
						ota_cmd_decode(p, n, 0, &c, &e);
				}
				start = i + 1;
			}
		}
		ota_reasm_free(ra);
	}
	struct ota_udh h;
	ota_sms_udh_decode(data, size, 0, &h, &e);
	struct ota_wallet_txn t;
	struct ota_wallet_answer a;
	ota_wallet_txn_decode(data, size, 0, &t, &e);
	ota_wallet_answer_decode(data, size, 0, &a, &e);
	return 0;
}

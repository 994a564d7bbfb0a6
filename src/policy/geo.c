#include "geo.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define C(cc, iso, name, lat, lon) {cc, iso, name, lat, lon}

/* ITU-T E.164 country codes. Shared codes (+1 NANP, +7) are split by area code where the
 * countries differ; non-geographic codes (800, 808, 870, 881-883, 888, 979) are absent on
 * purpose: they name no place. */
static const struct geo_country countries[] = {
	/* Zone 1: NANP */
	C("1", "US", "United States", 38.90, -77.04),
	C("1808", "US", "United States (Hawaii)", 21.31, -157.86),
	C("1907", "US", "United States (Alaska)", 61.22, -149.90),
	C("1204", "CA", "Canada", 49.90, -97.14), C("1226", "CA", "Canada", 43.45, -80.49),
	C("1236", "CA", "Canada", 49.28, -123.12), C("1249", "CA", "Canada", 46.49, -80.99),
	C("1250", "CA", "Canada", 48.43, -123.37), C("1289", "CA", "Canada", 43.65, -79.38),
	C("1306", "CA", "Canada", 50.45, -104.61), C("1343", "CA", "Canada", 45.42, -75.70),
	C("1365", "CA", "Canada", 43.65, -79.38), C("1367", "CA", "Canada", 46.81, -71.21),
	C("1403", "CA", "Canada", 51.05, -114.07), C("1416", "CA", "Canada", 43.65, -79.38),
	C("1418", "CA", "Canada", 46.81, -71.21), C("1431", "CA", "Canada", 49.90, -97.14),
	C("1437", "CA", "Canada", 43.65, -79.38), C("1438", "CA", "Canada", 45.50, -73.57),
	C("1450", "CA", "Canada", 45.50, -73.57), C("1506", "CA", "Canada", 45.96, -66.64),
	C("1514", "CA", "Canada", 45.50, -73.57), C("1519", "CA", "Canada", 42.98, -81.25),
	C("1548", "CA", "Canada", 43.45, -80.49), C("1579", "CA", "Canada", 45.50, -73.57),
	C("1581", "CA", "Canada", 46.81, -71.21), C("1587", "CA", "Canada", 53.55, -113.49),
	C("1604", "CA", "Canada", 49.28, -123.12), C("1613", "CA", "Canada", 45.42, -75.70),
	C("1639", "CA", "Canada", 52.13, -106.67), C("1647", "CA", "Canada", 43.65, -79.38),
	C("1672", "CA", "Canada", 49.28, -123.12), C("1705", "CA", "Canada", 46.49, -80.99),
	C("1709", "CA", "Canada", 47.56, -52.71), C("1742", "CA", "Canada", 43.25, -79.87),
	C("1778", "CA", "Canada", 49.28, -123.12), C("1780", "CA", "Canada", 53.55, -113.49),
	C("1782", "CA", "Canada", 44.65, -63.58), C("1807", "CA", "Canada", 48.38, -89.25),
	C("1819", "CA", "Canada", 45.48, -75.70), C("1825", "CA", "Canada", 51.05, -114.07),
	C("1867", "CA", "Canada", 60.72, -135.06), C("1873", "CA", "Canada", 45.48, -75.70),
	C("1902", "CA", "Canada", 44.65, -63.58), C("1905", "CA", "Canada", 43.59, -79.64),
	C("1263", "CA", "Canada", 45.50, -73.57), C("1354", "CA", "Canada", 45.40, -71.89),
	C("1368", "CA", "Canada", 51.05, -114.07), C("1382", "CA", "Canada", 42.98, -81.25),
	C("1428", "CA", "Canada", 45.96, -66.64), C("1468", "CA", "Canada", 45.40, -71.89),
	C("1474", "CA", "Canada", 50.45, -104.61), C("1584", "CA", "Canada", 49.90, -97.14),
	C("1683", "CA", "Canada", 46.49, -80.99), C("1753", "CA", "Canada", 45.42, -75.70),
	C("1879", "CA", "Canada", 47.56, -52.71),
	C("1242", "BS", "Bahamas", 25.05, -77.35),
	C("1246", "BB", "Barbados", 13.10, -59.62),
	C("1264", "AI", "Anguilla", 18.22, -63.06),
	C("1268", "AG", "Antigua and Barbuda", 17.12, -61.85),
	C("1284", "VG", "British Virgin Islands", 18.43, -64.62),
	C("1340", "VI", "US Virgin Islands", 18.34, -64.93),
	C("1345", "KY", "Cayman Islands", 19.29, -81.37),
	C("1441", "BM", "Bermuda", 32.29, -64.78),
	C("1473", "GD", "Grenada", 12.06, -61.75),
	C("1649", "TC", "Turks and Caicos Islands", 21.46, -71.14),
	C("1658", "JM", "Jamaica", 18.02, -76.80),
	C("1664", "MS", "Montserrat", 16.79, -62.21),
	C("1670", "MP", "Northern Mariana Islands", 15.18, 145.75),
	C("1671", "GU", "Guam", 13.48, 144.75),
	C("1684", "AS", "American Samoa", -14.28, -170.70),
	C("1721", "SX", "Sint Maarten", 18.03, -63.05),
	C("1758", "LC", "Saint Lucia", 14.01, -60.99),
	C("1767", "DM", "Dominica", 15.30, -61.39),
	C("1784", "VC", "Saint Vincent and the Grenadines", 13.16, -61.22),
	C("1787", "PR", "Puerto Rico", 18.47, -66.11),
	C("1809", "DO", "Dominican Republic", 18.49, -69.93),
	C("1829", "DO", "Dominican Republic", 18.49, -69.93),
	C("1849", "DO", "Dominican Republic", 18.49, -69.93),
	C("1868", "TT", "Trinidad and Tobago", 10.65, -61.52),
	C("1869", "KN", "Saint Kitts and Nevis", 17.30, -62.72),
	C("1876", "JM", "Jamaica", 18.02, -76.80),
	C("1939", "PR", "Puerto Rico", 18.47, -66.11),
	/* Zone 2: Africa and some islands */
	C("20", "EG", "Egypt", 30.04, 31.24),
	C("211", "SS", "South Sudan", 4.85, 31.58),
	C("212", "MA", "Morocco", 34.02, -6.84),
	C("213", "DZ", "Algeria", 36.75, 3.06),
	C("216", "TN", "Tunisia", 36.81, 10.18),
	C("218", "LY", "Libya", 32.89, 13.19),
	C("220", "GM", "Gambia", 13.45, -16.58),
	C("221", "SN", "Senegal", 14.72, -17.47),
	C("222", "MR", "Mauritania", 18.08, -15.98),
	C("223", "ML", "Mali", 12.64, -8.00),
	C("224", "GN", "Guinea", 9.64, -13.58),
	C("225", "CI", "Cote d'Ivoire", 5.36, -4.01),
	C("226", "BF", "Burkina Faso", 12.37, -1.52),
	C("227", "NE", "Niger", 13.51, 2.11),
	C("228", "TG", "Togo", 6.13, 1.22),
	C("229", "BJ", "Benin", 6.50, 2.60),
	C("230", "MU", "Mauritius", -20.16, 57.50),
	C("231", "LR", "Liberia", 6.30, -10.80),
	C("232", "SL", "Sierra Leone", 8.48, -13.23),
	C("233", "GH", "Ghana", 5.60, -0.19),
	C("234", "NG", "Nigeria", 9.08, 7.40),
	C("235", "TD", "Chad", 12.13, 15.06),
	C("236", "CF", "Central African Republic", 4.39, 18.56),
	C("237", "CM", "Cameroon", 3.87, 11.52),
	C("238", "CV", "Cabo Verde", 14.93, -23.51),
	C("239", "ST", "Sao Tome and Principe", 0.34, 6.73),
	C("240", "GQ", "Equatorial Guinea", 3.75, 8.78),
	C("241", "GA", "Gabon", 0.39, 9.45),
	C("242", "CG", "Congo", -4.27, 15.28),
	C("243", "CD", "DR Congo", -4.32, 15.31),
	C("244", "AO", "Angola", -8.84, 13.23),
	C("245", "GW", "Guinea-Bissau", 11.86, -15.60),
	C("246", "IO", "Diego Garcia", -7.31, 72.41),
	C("247", "AC", "Ascension", -7.95, -14.36),
	C("248", "SC", "Seychelles", -4.62, 55.45),
	C("249", "SD", "Sudan", 15.50, 32.56),
	C("250", "RW", "Rwanda", -1.94, 30.06),
	C("251", "ET", "Ethiopia", 9.03, 38.74),
	C("252", "SO", "Somalia", 2.04, 45.34),
	C("253", "DJ", "Djibouti", 11.59, 43.15),
	C("254", "KE", "Kenya", -1.29, 36.82),
	C("255", "TZ", "Tanzania", -6.16, 35.75),
	C("256", "UG", "Uganda", 0.35, 32.58),
	C("257", "BI", "Burundi", -3.38, 29.36),
	C("258", "MZ", "Mozambique", -25.97, 32.57),
	C("260", "ZM", "Zambia", -15.39, 28.32),
	C("261", "MG", "Madagascar", -18.88, 47.51),
	C("262", "RE", "Reunion and Mayotte", -20.88, 55.45),
	C("263", "ZW", "Zimbabwe", -17.83, 31.05),
	C("264", "NA", "Namibia", -22.56, 17.08),
	C("265", "MW", "Malawi", -13.97, 33.79),
	C("266", "LS", "Lesotho", -29.31, 27.48),
	C("267", "BW", "Botswana", -24.65, 25.91),
	C("268", "SZ", "Eswatini", -26.31, 31.14),
	C("269", "KM", "Comoros", -11.70, 43.26),
	C("27", "ZA", "South Africa", -25.75, 28.19),
	C("290", "SH", "Saint Helena", -15.93, -5.72),
	C("291", "ER", "Eritrea", 15.32, 38.93),
	C("297", "AW", "Aruba", 12.52, -70.03),
	C("298", "FO", "Faroe Islands", 62.01, -6.77),
	C("299", "GL", "Greenland", 64.18, -51.72),
	/* Zones 3 and 4: Europe */
	C("30", "GR", "Greece", 37.98, 23.73),
	C("31", "NL", "Netherlands", 52.37, 4.90),
	C("32", "BE", "Belgium", 50.85, 4.35),
	C("33", "FR", "France", 48.86, 2.35),
	C("34", "ES", "Spain", 40.42, -3.70),
	C("350", "GI", "Gibraltar", 36.14, -5.35),
	C("351", "PT", "Portugal", 38.72, -9.14),
	C("352", "LU", "Luxembourg", 49.61, 6.13),
	C("353", "IE", "Ireland", 53.35, -6.26),
	C("354", "IS", "Iceland", 64.15, -21.94),
	C("355", "AL", "Albania", 41.33, 19.82),
	C("356", "MT", "Malta", 35.90, 14.51),
	C("357", "CY", "Cyprus", 35.17, 33.36),
	C("358", "FI", "Finland", 60.17, 24.94),
	C("359", "BG", "Bulgaria", 42.70, 23.32),
	C("36", "HU", "Hungary", 47.50, 19.04),
	C("370", "LT", "Lithuania", 54.69, 25.28),
	C("371", "LV", "Latvia", 56.95, 24.11),
	C("372", "EE", "Estonia", 59.44, 24.75),
	C("373", "MD", "Moldova", 47.01, 28.86),
	C("374", "AM", "Armenia", 40.18, 44.51),
	C("375", "BY", "Belarus", 53.90, 27.57),
	C("376", "AD", "Andorra", 42.51, 1.52),
	C("377", "MC", "Monaco", 43.74, 7.42),
	C("378", "SM", "San Marino", 43.94, 12.45),
	C("379", "VA", "Vatican City", 41.90, 12.45),
	C("380", "UA", "Ukraine", 50.45, 30.52),
	C("381", "RS", "Serbia", 44.79, 20.45),
	C("382", "ME", "Montenegro", 42.44, 19.26),
	C("383", "XK", "Kosovo", 42.66, 21.17),
	C("385", "HR", "Croatia", 45.81, 15.98),
	C("386", "SI", "Slovenia", 46.06, 14.51),
	C("387", "BA", "Bosnia and Herzegovina", 43.86, 18.41),
	C("389", "MK", "North Macedonia", 42.00, 21.43),
	C("39", "IT", "Italy", 41.90, 12.50),
	C("40", "RO", "Romania", 44.43, 26.10),
	C("41", "CH", "Switzerland", 46.95, 7.45),
	C("420", "CZ", "Czechia", 50.08, 14.44),
	C("421", "SK", "Slovakia", 48.15, 17.11),
	C("423", "LI", "Liechtenstein", 47.14, 9.52),
	C("43", "AT", "Austria", 48.21, 16.37),
	C("44", "GB", "United Kingdom", 51.51, -0.13),
	C("45", "DK", "Denmark", 55.68, 12.57),
	C("46", "SE", "Sweden", 59.33, 18.07),
	C("47", "NO", "Norway", 59.91, 10.75),
	C("48", "PL", "Poland", 52.23, 21.01),
	C("49", "DE", "Germany", 52.52, 13.40),
	/* Zone 5: Central and South America */
	C("500", "FK", "Falkland Islands", -51.70, -57.85),
	C("501", "BZ", "Belize", 17.25, -88.77),
	C("502", "GT", "Guatemala", 14.63, -90.51),
	C("503", "SV", "El Salvador", 13.69, -89.22),
	C("504", "HN", "Honduras", 14.07, -87.19),
	C("505", "NI", "Nicaragua", 12.11, -86.24),
	C("506", "CR", "Costa Rica", 9.93, -84.08),
	C("507", "PA", "Panama", 8.98, -79.52),
	C("508", "PM", "Saint Pierre and Miquelon", 46.78, -56.18),
	C("509", "HT", "Haiti", 18.54, -72.34),
	C("51", "PE", "Peru", -12.05, -77.04),
	C("52", "MX", "Mexico", 19.43, -99.13),
	C("53", "CU", "Cuba", 23.11, -82.37),
	C("54", "AR", "Argentina", -34.60, -58.38),
	C("55", "BR", "Brazil", -15.79, -47.88),
	C("56", "CL", "Chile", -33.45, -70.67),
	C("57", "CO", "Colombia", 4.71, -74.07),
	C("58", "VE", "Venezuela", 10.48, -66.90),
	C("590", "GP", "Guadeloupe", 16.24, -61.53),
	C("591", "BO", "Bolivia", -16.50, -68.15),
	C("592", "GY", "Guyana", 6.80, -58.16),
	C("593", "EC", "Ecuador", -0.18, -78.47),
	C("594", "GF", "French Guiana", 4.92, -52.33),
	C("595", "PY", "Paraguay", -25.26, -57.58),
	C("596", "MQ", "Martinique", 14.60, -61.07),
	C("597", "SR", "Suriname", 5.85, -55.20),
	C("598", "UY", "Uruguay", -34.90, -56.16),
	C("599", "CW", "Curacao and Caribbean Netherlands", 12.11, -68.93),
	/* Zone 6: South Pacific and Oceania */
	C("60", "MY", "Malaysia", 3.14, 101.69),
	C("61", "AU", "Australia", -35.28, 149.13),
	C("62", "ID", "Indonesia", -6.21, 106.85),
	C("63", "PH", "Philippines", 14.60, 120.98),
	C("64", "NZ", "New Zealand", -41.29, 174.78),
	C("65", "SG", "Singapore", 1.35, 103.82),
	C("66", "TH", "Thailand", 13.76, 100.50),
	C("670", "TL", "Timor-Leste", -8.56, 125.57),
	C("672", "NF", "Norfolk Island", -29.04, 167.95),
	C("673", "BN", "Brunei", 4.94, 114.95),
	C("674", "NR", "Nauru", -0.55, 166.92),
	C("675", "PG", "Papua New Guinea", -9.44, 147.18),
	C("676", "TO", "Tonga", -21.14, -175.20),
	C("677", "SB", "Solomon Islands", -9.43, 159.95),
	C("678", "VU", "Vanuatu", -17.73, 168.32),
	C("679", "FJ", "Fiji", -18.14, 178.44),
	C("680", "PW", "Palau", 7.50, 134.62),
	C("681", "WF", "Wallis and Futuna", -13.28, -176.17),
	C("682", "CK", "Cook Islands", -21.21, -159.78),
	C("683", "NU", "Niue", -19.05, -169.92),
	C("685", "WS", "Samoa", -13.83, -171.76),
	C("686", "KI", "Kiribati", 1.33, 172.98),
	C("687", "NC", "New Caledonia", -22.27, 166.44),
	C("688", "TV", "Tuvalu", -8.52, 179.20),
	C("689", "PF", "French Polynesia", -17.53, -149.57),
	C("690", "TK", "Tokelau", -9.20, -171.85),
	C("691", "FM", "Micronesia", 6.92, 158.16),
	C("692", "MH", "Marshall Islands", 7.09, 171.38),
	/* Zone 7: Russia and Kazakhstan */
	C("7", "RU", "Russia", 55.76, 37.62),
	C("76", "KZ", "Kazakhstan", 51.17, 71.45),
	C("77", "KZ", "Kazakhstan", 51.17, 71.45),
	/* Zone 8: East Asia */
	C("81", "JP", "Japan", 35.68, 139.69),
	C("82", "KR", "South Korea", 37.57, 126.98),
	C("84", "VN", "Vietnam", 21.03, 105.85),
	C("850", "KP", "North Korea", 39.02, 125.75),
	C("852", "HK", "Hong Kong", 22.32, 114.17),
	C("853", "MO", "Macao", 22.20, 113.54),
	C("855", "KH", "Cambodia", 11.56, 104.92),
	C("856", "LA", "Laos", 17.97, 102.63),
	C("86", "CN", "China", 39.90, 116.40),
	C("880", "BD", "Bangladesh", 23.81, 90.41),
	C("886", "TW", "Taiwan", 25.03, 121.57),
	/* Zone 9: West, Central and South Asia, Middle East */
	C("90", "TR", "Turkey", 39.93, 32.86),
	C("91", "IN", "India", 28.61, 77.21),
	C("92", "PK", "Pakistan", 33.69, 73.05),
	C("93", "AF", "Afghanistan", 34.53, 69.17),
	C("94", "LK", "Sri Lanka", 6.93, 79.85),
	C("95", "MM", "Myanmar", 19.76, 96.08),
	C("960", "MV", "Maldives", 4.18, 73.51),
	C("961", "LB", "Lebanon", 33.89, 35.50),
	C("962", "JO", "Jordan", 31.95, 35.93),
	C("963", "SY", "Syria", 33.51, 36.29),
	C("964", "IQ", "Iraq", 33.31, 44.37),
	C("965", "KW", "Kuwait", 29.38, 47.99),
	C("966", "SA", "Saudi Arabia", 24.71, 46.68),
	C("967", "YE", "Yemen", 15.37, 44.19),
	C("968", "OM", "Oman", 23.59, 58.41),
	C("970", "PS", "Palestine", 31.90, 35.20),
	C("971", "AE", "United Arab Emirates", 24.45, 54.38),
	C("972", "IL", "Israel", 31.77, 35.21),
	C("973", "BH", "Bahrain", 26.23, 50.59),
	C("974", "QA", "Qatar", 25.29, 51.53),
	C("975", "BT", "Bhutan", 27.47, 89.64),
	C("976", "MN", "Mongolia", 47.89, 106.91),
	C("977", "NP", "Nepal", 27.72, 85.32),
	C("98", "IR", "Iran", 35.69, 51.39),
	C("992", "TJ", "Tajikistan", 38.56, 68.79),
	C("993", "TM", "Turkmenistan", 37.95, 58.38),
	C("994", "AZ", "Azerbaijan", 40.41, 49.87),
	C("995", "GE", "Georgia", 41.72, 44.79),
	C("996", "KG", "Kyrgyzstan", 42.87, 74.59),
	C("998", "UZ", "Uzbekistan", 41.30, 69.24),
};

#undef C

const struct geo_country *geo_table(unsigned *n)
{
	*n = sizeof(countries) / sizeof(countries[0]);
	return countries;
}

int geo_index_init(struct geo_index *g)
{
	trie_init(&g->trie);
	unsigned n;
	const struct geo_country *c = geo_table(&n);
	for (unsigned i = 0; i < n; i++) {
		int rc = trie_add(&g->trie, c[i].cc, (int32_t)i);
		if (rc) {
			trie_free(&g->trie);
			return rc;
		}
	}
	return 0;
}

void geo_index_free(struct geo_index *g) { trie_free(&g->trie); }

const struct geo_country *geo_lookup(const struct geo_index *g, const char *e164)
{
	int32_t i = trie_lookup(&g->trie, e164, NULL);
	return i == TRIE_NONE ? NULL : &countries[i];
}

const struct geo_country *geo_by_iso(const char *iso)
{
	unsigned n;
	const struct geo_country *c = geo_table(&n);
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(c[i].iso, iso))
			return &c[i];
	return NULL;
}

double geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371.0088, rad = M_PI / 180.0; /* mean Earth radius (IUGG) */
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	if (a > 1.0)
		a = 1.0;
	return 2.0 * r * asin(sqrt(a));
}

bool geo_travel_plausible(double km, uint64_t elapsed_ms, double max_kmh, double slack_km)
{
	if (km <= slack_km)
		return true;
	double hours = (double)elapsed_ms / 3600000.0;
	return km - slack_km <= max_kmh * hours;
}

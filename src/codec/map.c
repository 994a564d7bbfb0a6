/* 3GPP TS 29.002 MAP tables, field extraction and encoders. */
#include "map.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tbcd.h"

#define L "map"

/* ---- tables ---- */

/* TS 29.002 17.5 */
const struct value_string map_op_names[] = {
    {2, "updateLocation"},
    {3, "cancelLocation"},
    {4, "provideRoamingNumber"},
    {5, "noteSubscriberDataModified"},
    {6, "resumeCallHandling"},
    {7, "insertSubscriberData"},
    {8, "deleteSubscriberData"},
    {9, "sendParameters"},
    {10, "registerSS"},
    {11, "eraseSS"},
    {12, "activateSS"},
    {13, "deactivateSS"},
    {14, "interrogateSS"},
    {15, "authenticationFailureReport"},
    {16, "notifySS"},
    {17, "registerPassword"},
    {18, "getPassword"},
    {19, "processUnstructuredSS-Data"},
    {20, "releaseResources"},
    {21, "mt-ForwardSM-VGCS"},
    {22, "sendRoutingInfo"},
    {23, "updateGprsLocation"},
    {24, "sendRoutingInfoForGprs"},
    {25, "failureReport"},
    {26, "noteMsPresentForGprs"},
    {28, "performHandover"},
    {29, "sendEndSignal"},
    {30, "performSubsequentHandover"},
    {31, "provideSIWFSNumber"},
    {32, "sIWFSSignallingModify"},
    {33, "processAccessSignalling"},
    {34, "forwardAccessSignalling"},
    {35, "noteInternalHandover"},
    {36, "cancelVcsgLocation"},
    {37, "reset"},
    {38, "forwardCheckSS-Indication"},
    {39, "prepareGroupCall"},
    {40, "sendGroupCallEndSignal"},
    {41, "processGroupCallSignalling"},
    {42, "forwardGroupCallSignalling"},
    {43, "checkIMEI"},
    {44, "mt-forwardSM"},
    {45, "sendRoutingInfoForSM"},
    {46, "mo-forwardSM"},
    {47, "reportSM-DeliveryStatus"},
    {48, "noteSubscriberPresent"},
    {49, "alertServiceCentreWithoutResult"},
    {50, "activateTraceMode"},
    {51, "deactivateTraceMode"},
    {52, "traceSubscriberActivity"},
    {53, "updateVcsgLocation"},
    {54, "beginSubscriberActivity"},
    {55, "sendIdentification"},
    {56, "sendAuthenticationInfo"},
    {57, "restoreData"},
    {58, "sendIMSI"},
    {59, "processUnstructuredSS-Request"},
    {60, "unstructuredSS-Request"},
    {61, "unstructuredSS-Notify"},
    {62, "anyTimeSubscriptionInterrogation"},
    {63, "informServiceCentre"},
    {64, "alertServiceCentre"},
    {65, "anyTimeModification"},
    {66, "readyForSM"},
    {67, "purgeMS"},
    {68, "prepareHandover"},
    {69, "prepareSubsequentHandover"},
    {70, "provideSubscriberInfo"},
    {71, "anyTimeInterrogation"},
    {72, "ss-InvocationNotification"},
    {73, "setReportingState"},
    {74, "statusReport"},
    {75, "remoteUserFree"},
    {76, "registerCC-Entry"},
    {77, "eraseCC-Entry"},
    {78, "secureTransportClass1"},
    {79, "secureTransportClass2"},
    {80, "secureTransportClass3"},
    {81, "secureTransportClass4"},
    {83, "provideSubscriberLocation"},
    {84, "sendGroupCallInfo"},
    {85, "sendRoutingInfoForLCS"},
    {86, "subscriberLocationReport"},
    {87, "ist-Alert"},
    {88, "ist-Command"},
    {89, "noteMM-Event"},
    {109, "lcs-PeriodicLocationCancellation"},
    {110, "lcs-LocationUpdate"},
    {111, "lcs-PeriodicLocationRequest"},
    {112, "lcs-AreaEventCancellation"},
    {113, "lcs-AreaEventReport"},
    {114, "lcs-AreaEventRequest"},
    {115, "lcs-MOLR"},
    {116, "lcs-LocationNotification"},
    {117, "callDeflection"},
    {118, "userUserService"},
    {119, "accessRegisterCCEntry"},
    {120, "forwardCUG-Info"},
    {121, "splitMPTY"},
    {122, "retrieveMPTY"},
    {123, "holdMPTY"},
    {124, "buildMPTY"},
    {125, "forwardChargeAdvice"},
    {126, "explicitCT"},
    {0, NULL},
};

/* TS 29.002 17.3.3 application-context names 0.4.0.0.1.0.<ac>.<version> */
const struct value_string map_ac_names[] = {
    {1, "networkLocUpContext"},
    {2, "locationCancellationContext"},
    {3, "roamingNumberEnquiryContext"},
    {4, "istAlertingContext"},
    {5, "locationInfoRetrievalContext"},
    {6, "callControlTransferContext"},
    {7, "reportingContext"},
    {8, "callCompletionContext"},
    {9, "serviceTerminationContext"},
    {10, "resetContext"},
    {11, "handoverControlContext"},
    {12, "sIWFSAllocationContext"},
    {13, "equipmentMngtContext"},
    {14, "infoRetrievalContext"},
    {15, "interVlrInfoRetrievalContext"},
    {16, "subscriberDataMngtContext"},
    {17, "tracingContext"},
    {18, "networkFunctionalSsContext"},
    {19, "networkUnstructuredSsContext"},
    {20, "shortMsgGatewayContext"},
    {21, "shortMsgMO-RelayContext"},
    {22, "subscriberDataModificationNotificationContext"},
    {23, "shortMsgAlertContext"},
    {24, "mwdMngtContext"},
    {25, "shortMsgMT-RelayContext"},
    {26, "imsiRetrievalContext"},
    {27, "msPurgingContext"},
    {28, "subscriberInfoEnquiryContext"},
    {29, "anyTimeInfoEnquiryContext"},
    {31, "groupCallControlContext"},
    {32, "gprsLocationUpdateContext"},
    {33, "gprsLocationInfoRetrievalContext"},
    {34, "failureReportContext"},
    {35, "gprsNotifyContext"},
    {36, "ss-InvocationNotificationContext"},
    {37, "locationSvcGatewayContext"},
    {38, "locationSvcEnquiryContext"},
    {39, "authenticationFailureReportContext"},
    {40, "secureTransportHandlingContext"},
    {41, "shortMsgMT-Relay-VGCS-Context"},
    {42, "mm-EventReportingContext"},
    {43, "anyTimeInfoHandlingContext"},
    {44, "resourceManagementContext"},
    {45, "groupCallInfoRetrievalContext"},
    {46, "vcsgLocationUpdateContext"},
    {47, "vcsgLocationCancellationContext"},
    {0, NULL},
};

/* TS 29.002 17.6 */
const struct value_string map_error_names[] = {
    {1, "unknownSubscriber"},
    {2, "unknownBaseStation"},
    {3, "unknownMSC"},
    {4, "secureTransportError"},
    {5, "unidentifiedSubscriber"},
    {6, "absentSubscriberSM"},
    {7, "unknownEquipment"},
    {8, "roamingNotAllowed"},
    {9, "illegalSubscriber"},
    {10, "bearerServiceNotProvisioned"},
    {11, "teleserviceNotProvisioned"},
    {12, "illegalEquipment"},
    {13, "callBarred"},
    {14, "forwardingViolation"},
    {15, "cug-Reject"},
    {16, "illegalSS-Operation"},
    {17, "ss-ErrorStatus"},
    {18, "ss-NotAvailable"},
    {19, "ss-SubscriptionViolation"},
    {20, "ss-Incompatibility"},
    {21, "facilityNotSupported"},
    {22, "ongoingGroupCall"},
    {23, "invalidTargetBaseStation"},
    {24, "noRadioResourceAvailable"},
    {25, "noHandoverNumberAvailable"},
    {26, "subsequentHandoverFailure"},
    {27, "absentSubscriber"},
    {28, "incompatibleTerminal"},
    {29, "shortTermDenial"},
    {30, "longTermDenial"},
    {31, "subscriberBusyForMT-SMS"},
    {32, "sm-DeliveryFailure"},
    {33, "messageWaitingListFull"},
    {34, "systemFailure"},
    {35, "dataMissing"},
    {36, "unexpectedDataValue"},
    {37, "pw-RegistrationFailure"},
    {38, "negativePW-Check"},
    {39, "noRoamingNumberAvailable"},
    {40, "tracingBufferFull"},
    {42, "targetCellOutsideGroupCallArea"},
    {43, "numberOfPW-AttemptsViolation"},
    {44, "numberChanged"},
    {45, "busySubscriber"},
    {46, "noSubscriberReply"},
    {47, "forwardingFailed"},
    {48, "or-NotAllowed"},
    {49, "ati-NotAllowed"},
    {50, "noGroupCallNumberAvailable"},
    {51, "resourceLimitation"},
    {52, "unauthorizedRequestingNetwork"},
    {53, "unauthorizedLCSClient"},
    {54, "positionMethodFailure"},
    {58, "unknownOrUnreachableLCSClient"},
    {59, "mm-EventNotSupported"},
    {60, "atsi-NotAllowed"},
    {61, "atm-NotAllowed"},
    {62, "informationNotAvailable"},
    {71, "unknownAlphabet"},
    {72, "ussd-Busy"},
    {0, NULL},
};

/* TS 29.002 17.7.5 SS-Code */
const struct value_string map_ss_code_names[] = {
    {0x00, "allSS"},
    {0x10, "allLineIdentificationSS"},
    {0x11, "clip"},
    {0x12, "clir"},
    {0x13, "colp"},
    {0x14, "colr"},
    {0x15, "mci"},
    {0x18, "allNameIdentificationSS"},
    {0x19, "cnap"},
    {0x20, "allForwardingSS"},
    {0x21, "cfu"},
    {0x28, "allCondForwardingSS"},
    {0x29, "cfb"},
    {0x2a, "cfnry"},
    {0x2b, "cfnrc"},
    {0x24, "cd"},
    {0x30, "allCallOfferingSS"},
    {0x31, "ect"},
    {0x32, "mah"},
    {0x40, "allCallCompletionSS"},
    {0x41, "cw"},
    {0x42, "hold"},
    {0x43, "ccbs-A"},
    {0x44, "ccbs-B"},
    {0x45, "mc"},
    {0x50, "allMultiPartySS"},
    {0x51, "multiPTY"},
    {0x60, "allCommunityOfInterest-SS"},
    {0x61, "cug"},
    {0x70, "allChargingSS"},
    {0x71, "aoci"},
    {0x72, "aocc"},
    {0x80, "allAdditionalInfoTransferSS"},
    {0x81, "uus1"},
    {0x82, "uus2"},
    {0x83, "uus3"},
    {0x90, "allBarringSS"},
    {0x91, "barringOfOutgoingCalls"},
    {0x92, "baoc"},
    {0x93, "boic"},
    {0x94, "boicExHC"},
    {0x99, "barringOfIncomingCalls"},
    {0x9a, "baic"},
    {0x9b, "bicRoam"},
    {0xf0, "allPLMN-specificSS"},
    {0, NULL},
};

/* PROTOCOLS.md, GSMA FS.11 default categories */
static const struct value_string map_op_categories[] = {
    {2, "3"},	{3, "2"},   {4, "2"},	{5, "1"},   {6, "1"},	{7, "2"},   {8, "2"},	{9, "1"},
    {10, "3"},	{11, "3"},  {12, "3"},	{13, "3"},  {14, "3"},	{16, "1"},  {20, "1"},	{21, "1"},
    {22, "1"},	{23, "3"},  {24, "1"},	{25, "1"},  {26, "1"},	{27, "1"},  {28, "1"},	{29, "1"},
    {30, "1"},	{31, "1"},  {32, "1"},	{33, "1"},  {34, "1"},	{35, "1"},  {36, "1"},	{37, "1"},
    {38, "1"},	{39, "1"},  {40, "1"},	{41, "1"},  {42, "1"},	{43, "1"},  {50, "1"},	{51, "1"},
    {52, "1"},	{55, "1"},  {56, "3"},	{58, "1"},  {59, "3"},	{60, "2"},  {61, "2"},	{62, "1"},
    {65, "1"},	{67, "3"},  {70, "2"},	{71, "1"},  {72, "1"},	{76, "1"},  {77, "1"},	{78, "1"},
    {79, "1"},	{80, "1"},  {81, "1"},	{83, "1"},  {84, "1"},	{85, "1"},  {86, "1"},	{109, "1"},
    {110, "1"}, {111, "1"}, {112, "1"}, {113, "1"}, {114, "1"}, {115, "1"}, {116, "1"}, {117, "1"},
    {118, "1"}, {119, "1"}, {120, "1"}, {121, "1"}, {122, "1"}, {123, "1"}, {124, "1"}, {125, "1"},
    {126, "1"}, {0, NULL},
};

const char *map_op_name(int op)
{
	return op < 0 ? "unknown" : get_value_string(map_op_names, (uint32_t)op);
}
const char *map_ac_name(uint8_t ac)
{
	return get_value_string(map_ac_names, ac);
}
const char *map_error_name(int code)
{
	return code < 0 ? "unknown" : get_value_string(map_error_names, (uint32_t)code);
}
const char *map_ss_code_name(uint8_t code)
{
	return get_value_string(map_ss_code_names, code);
}

int map_op_category(int op)
{
	const char *c = op < 0 ? NULL : get_value_string_or_null(map_op_categories, (uint32_t)op);
	return c ? c[0] - '0' : 0;
}

void map_fields_init(struct map_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->opcode = -1;
	f->sm_rp_da_type = MAP_SMRP_NONE;
	f->sm_rp_oa_type = MAP_SMRP_NONE;
}

/* ---- schemas ---- */

enum map_kind {
	K_SEQ,	    /* constructed: the children in sub */
	K_IMSI,	    /* TBCD-STRING (SIZE (3..8)) */
	K_ADDR,	    /* AddressString into the dfs_addr numbered arg */
	K_ADD_NUM,  /* Additional-Number alternative (msc or sgsn per arg) */
	K_LMSI,	    /* OCTET STRING (SIZE (4)) */
	K_IMEI,	    /* TBCD-STRING (SIZE (8)) */
	K_SS_CODE,  /* OCTET STRING (SIZE (1)) */
	K_USSD_DCS, /* OCTET STRING (SIZE (1)) */
	K_USSD_STR, /* OCTET STRING (SIZE (1..160)) */
	K_UI,	    /* SignalInfo: the SMS TPDU */
	K_DA,	    /* SM-RP-DA alternative, arg = enum map_sm_rp_type */
	K_OA,	    /* SM-RP-OA alternative */
	K_RI,	    /* RequestedInfo element, arg = MAP_RI_* flag */
	K_GPRS_IND, /* gprsNodeIndicator NULL: the network node is an SGSN */
	K_FIXED,    /* element struct map_fields does not model: skipped, encoded from fixed */
	K_SKIP,	    /* known element that is neither extracted nor encoded */
};

enum map_addr_dest {
	A_MSISDN,
	A_MSC,
	A_VLR,
	A_HLR,
	A_SGSN,
	A_SC,
	A_FTN,
	A_GMLC,
	A_NODE,
	A_MSRN,
	A_GSMSCF,
	A_GGSN,
	A_GMSC
};

#define E_MAND 0x01	 /* encode even when nothing inside has a value */
#define E_REQ 0x02	 /* the parent has no value unless this has one */
#define E_DEC_ONLY 0x04	 /* never encoded */
#define E_ANY_ORDER 0x08 /* K_SEQ: children may come in any order */

struct map_elem {
	uint32_t tag;
	uint8_t kind, arg, group, flags;
	uint8_t ver; /* bit mask of MAP versions (1 << v) this element exists in; 0 = all */
	const char *name;
	const struct map_elem *sub;
	const uint8_t *fixed; /* K_FIXED contents */
	size_t fixed_len;
};

/* identifier octet to tag (all tags here are below 31, except [34] sgsn-Number) */
#define T(b) BER_TAG((b)&0xe0, (b)&0x1f)
#define EL(b, k, a, n)                                                                             \
	{                                                                                          \
		.tag = T(b), .kind = k, .arg = a, .name = n                                        \
	}
#define ELG(b, k, a, g, n)                                                                         \
	{                                                                                          \
		.tag = T(b), .kind = k, .arg = a, .group = g, .name = n                            \
	}
#define ELF(b, k, a, fl, n)                                                                        \
	{                                                                                          \
		.tag = T(b), .kind = k, .arg = a, .flags = fl, .name = n                           \
	}
#define ELV(b, k, a, v, n)                                                                         \
	{                                                                                          \
		.tag = T(b), .kind = k, .arg = a, .ver = v, .name = n                              \
	}
#define SEQ(b, fl, n, s)                                                                           \
	{                                                                                          \
		.tag = T(b), .kind = K_SEQ, .flags = fl, .name = n, .sub = s                       \
	}
#define SEQG(b, g, fl, n, s)                                                                       \
	{                                                                                          \
		.tag = T(b), .kind = K_SEQ, .group = g, .flags = fl, .name = n, .sub = s           \
	}
#define SEQV(b, v, n, s)                                                                           \
	{                                                                                          \
		.tag = T(b), .kind = K_SEQ, .ver = v, .flags = E_MAND, .name = n, .sub = s         \
	}
#define FIX(b, n, bytes)                                                                           \
	{                                                                                          \
		.tag = T(b), .kind = K_FIXED, .name = n, .fixed = bytes,                           \
		.fixed_len = sizeof(bytes)                                                         \
	}
#define END                                                                                        \
	{                                                                                          \
		.name = NULL                                                                       \
	}
#define V1 0x02
#define V2 0x04
#define V3 0x08
#define V12 (V1 | V2)

static const struct map_elem no_fields[] = {END};

/* SubscriberIdentity ::= CHOICE { imsi [0] IMSI, msisdn [1] ISDN-AddressString } */
static const struct map_elem subscriber_identity[] = {
    ELG(0x80, K_IMSI, 0, 1, "imsi"), ELG(0x81, K_ADDR, A_MSISDN, 1, "msisdn"), END};

/* Ext-ForwFeature / ForwardingFeature: ss-Status [4] (fixed 0x07 active+registered+provisioned),
 * forwardedToNumber [5]; forwardingData (SRI result) has forwardedToNumber [5] alone */
static const uint8_t ss_status_active[] = {0x07};
static const struct map_elem forw_feature[] = {FIX(0x84, "ss-Status", ss_status_active),
					       ELF(0x85, K_ADDR, A_FTN, E_REQ, "forwardedToNumber"),
					       END};
static const struct map_elem forw_feature_list[] = {SEQ(0x30, 0, "forwardingFeature", forw_feature),
						    END};
static const struct map_elem forwarding_data[] = {EL(0x85, K_ADDR, A_FTN, "forwardedToNumber"),
						  END};

/* 2 updateLocation */
static const struct map_elem ul_arg_seq[] = {
    EL(0x04, K_IMSI, 0, "imsi"), EL(0x81, K_ADDR, A_MSC, "msc-Number"),
    EL(0x04, K_ADDR, A_VLR, "vlr-Number"), EL(0x8a, K_LMSI, 0, "lmsi"), END};
static const struct map_elem ul_arg[] = {SEQ(0x30, E_MAND, "UpdateLocationArg", ul_arg_seq), END};
static const struct map_elem ul_res_seq[] = {EL(0x04, K_ADDR, A_HLR, "hlr-Number"), END};
static const struct map_elem ul_res[] = {SEQ(0x30, E_MAND, "UpdateLocationRes", ul_res_seq),
					 EL(0x04, K_ADDR, A_HLR, "hlr-Number"), END};

/* 3 cancelLocation: v3 [3] SEQUENCE { identity, cancellationType }, v1/v2 the bare Identity */
static const struct map_elem imsi_with_lmsi[] = {ELF(0x04, K_IMSI, 0, E_REQ, "imsi"),
						 ELF(0x04, K_LMSI, 0, E_REQ, "lmsi"), END};
static const uint8_t cancel_update_procedure[] = {0x00};
static const struct map_elem cl_arg_seq[] = {
    SEQG(0x30, 1, 0, "imsi-WithLMSI", imsi_with_lmsi), ELG(0x04, K_IMSI, 0, 1, "imsi"),
    FIX(0x0a, "cancellationType", cancel_update_procedure), END};
static const struct map_elem cl_arg[] = {SEQV(0xa3, V3, "CancelLocationArg", cl_arg_seq),
					 SEQV(0x30, V12, "imsi-WithLMSI", imsi_with_lmsi),
					 ELV(0x04, K_IMSI, 0, V12, "imsi"), END};
static const struct map_elem cl_res[] = {SEQV(0x30, V3, "CancelLocationRes", no_fields), END};

/* 4 provideRoamingNumber */
static const struct map_elem prn_arg_seq[] = {EL(0x80, K_IMSI, 0, "imsi"),
					      EL(0x81, K_ADDR, A_MSC, "msc-Number"),
					      EL(0x82, K_ADDR, A_MSISDN, "msisdn"),
					      EL(0x84, K_LMSI, 0, "lmsi"),
					      EL(0x88, K_ADDR, A_GMSC, "gmsc-Address"),
					      END};
static const struct map_elem prn_arg[] = {SEQ(0x30, E_MAND, "ProvideRoamingNumberArg", prn_arg_seq),
					  END};
static const struct map_elem prn_res_seq[] = {EL(0x04, K_ADDR, A_MSRN, "roamingNumber"),
					      ELV(0x04, K_ADDR, A_MSC, V3, "vmsc-Address"), END};
static const struct map_elem prn_res[] = {SEQV(0x30, V3, "ProvideRoamingNumberRes", prn_res_seq),
					  ELV(0x04, K_ADDR, A_MSRN, V12, "roamingNumber"), END};

/* 7 insertSubscriberData: provisionedSS [7] Ext-SS-InfoList, first forwardingInfo [0] */
static const struct map_elem ext_forw_info[] = {
    EL(0x04, K_SS_CODE, 0, "ss-Code"), SEQ(0x30, 0, "forwardingFeatureList", forw_feature_list),
    END};
static const struct map_elem ext_ss_info_list[] = {SEQ(0xa0, 0, "forwardingInfo", ext_forw_info),
						   END};
/* vlrCamelSubscriptionInfo [13]: the gsmSCF of the first O-CSI trigger (TS 29.002 17.7.1): a
 * hostile insertSubscriberData that points calls at a foreign gsmSCF. Encoded with trigger
 * collectedInfo, service key 1, default call handling continueCall. */
static const uint8_t o_bcsm_collected_info[] = {0x02};
static const uint8_t service_key_1[] = {0x01};
static const uint8_t continue_call[] = {0x00};
static const struct map_elem o_bcsm_tdp_data[] = {
    FIX(0x0a, "o-BcsmTriggerDetectionPoint", o_bcsm_collected_info),
    FIX(0x02, "serviceKey", service_key_1), ELF(0x80, K_ADDR, A_GSMSCF, E_REQ, "gsmSCF-Address"),
    FIX(0x81, "defaultCallHandling", continue_call), END};
static const struct map_elem o_bcsm_tdp_list[] = {
    SEQ(0x30, 0, "o-BcsmCamelTDPData", o_bcsm_tdp_data), END};
static const struct map_elem o_csi[] = {SEQ(0x30, 0, "o-BcsmCamelTDPDataList", o_bcsm_tdp_list),
					END};
static const struct map_elem vlr_camel_info[] = {SEQ(0xa0, 0, "o-CSI", o_csi), END};
static const struct map_elem isd_arg_seq[] = {
    EL(0x80, K_IMSI, 0, "imsi"),
    EL(0x81, K_ADDR, A_MSISDN, "msisdn"),
    SEQ(0xa7, 0, "provisionedSS", ext_ss_info_list),
    SEQ(0xad, 0, "vlrCamelSubscriptionInfo", vlr_camel_info),
    {.tag = BER_C(34), .kind = K_ADDR, .arg = A_SGSN, .ver = V3, .name = "sgsn-Number"},
    END};
static const struct map_elem isd_arg[] = {SEQ(0x30, E_MAND, "InsertSubscriberDataArg", isd_arg_seq),
					  END};
static const struct map_elem empty_res[] = {SEQ(0x30, E_MAND, "result", no_fields), END};

/* 8 deleteSubscriberData */
static const struct map_elem dsd_arg_seq[] = {EL(0x80, K_IMSI, 0, "imsi"), END};
static const struct map_elem dsd_arg[] = {SEQ(0x30, E_MAND, "DeleteSubscriberDataArg", dsd_arg_seq),
					  END};

/* 10 registerSS, 11-14 SS-ForBS-Code, results SS-Info / InterrogateSS-Res */
static const struct map_elem reg_ss_seq[] = {EL(0x04, K_SS_CODE, 0, "ss-Code"),
					     EL(0x84, K_ADDR, A_FTN, "forwardedToNumber"), END};
static const struct map_elem reg_ss_arg[] = {SEQ(0x30, E_MAND, "RegisterSS-Arg", reg_ss_seq), END};
static const struct map_elem ss_for_bs_seq[] = {EL(0x04, K_SS_CODE, 0, "ss-Code"), END};
static const struct map_elem ss_for_bs_arg[] = {SEQ(0x30, E_MAND, "SS-ForBS-Code", ss_for_bs_seq),
						END};
static const struct map_elem forwarding_info[] = {
    EL(0x04, K_SS_CODE, 0, "ss-Code"),
    SEQ(0x30, E_MAND, "forwardingFeatureList", forw_feature_list), END};
static const struct map_elem ss_data[] = {EL(0x04, K_SS_CODE, 0, "ss-Code"), END};
static const struct map_elem ss_info_res[] = {SEQG(0xa0, 1, 0, "forwardingInfo", forwarding_info),
					      SEQG(0xa1, 1, E_DEC_ONLY, "callBarringInfo", ss_data),
					      SEQG(0xa3, 1, E_MAND, "ss-Data", ss_data), END};
static const uint8_t ss_status_provisioned[] = {0x04};
static const struct map_elem interrogate_ss_res[] = {
    SEQ(0xa3, 0, "forwardingFeatureList", forw_feature_list),
    FIX(0x80, "ss-Status", ss_status_provisioned), END};

/* 22 sendRoutingInfo */
static const uint8_t interrogation_basic_call[] = {0x00};
static const struct map_elem sri_arg_seq[] = {
    EL(0x80, K_ADDR, A_MSISDN, "msisdn"), FIX(0x83, "interrogationType", interrogation_basic_call),
    EL(0x86, K_ADDR, A_GMSC, "gmsc-OrGsmSCF-Address"), END};
static const struct map_elem sri_arg[] = {SEQ(0x30, E_MAND, "SendRoutingInfoArg", sri_arg_seq),
					  END};
static const struct map_elem sri_res_v3[] = {
    EL(0x89, K_IMSI, 0, "imsi"),
    ELG(0x04, K_ADDR, A_MSRN, 1, "roamingNumber"),
    SEQG(0x30, 1, 0, "forwardingData", forwarding_data),
    SEQG(0xa8, 1, E_DEC_ONLY, "camelRoutingInfo", no_fields),
    EL(0x82, K_ADDR, A_MSC, "vmsc-Address"),
    EL(0x8c, K_ADDR, A_MSISDN, "msisdn"),
    END};
static const struct map_elem sri_res_v12[] = {
    EL(0x04, K_IMSI, 0, "imsi"), ELG(0x04, K_ADDR, A_MSRN, 1, "roamingNumber"),
    SEQG(0x30, 1, 0, "forwardingData", forwarding_data), END};
static const struct map_elem sri_res[] = {SEQV(0xa3, V3, "SendRoutingInfoRes", sri_res_v3),
					  SEQV(0x30, V12, "SendRoutingInfoRes", sri_res_v12), END};

/* 23 updateGprsLocation: sgsn-Address is a GSN-Address (IPv4 192.0.2.1 when encoding) */
static const uint8_t gsn_address_doc[] = {0x04, 0xc0, 0x00, 0x02, 0x01};
static const struct map_elem ugl_arg_seq[] = {EL(0x04, K_IMSI, 0, "imsi"),
					      EL(0x04, K_ADDR, A_SGSN, "sgsn-Number"),
					      FIX(0x04, "sgsn-Address", gsn_address_doc), END};
static const struct map_elem ugl_arg[] = {SEQ(0x30, E_MAND, "UpdateGprsLocationArg", ugl_arg_seq),
					  END};
static const struct map_elem ugl_res[] = {SEQ(0x30, E_MAND, "UpdateGprsLocationRes", ul_res_seq),
					  END};

/* 24 sendRoutingInfoForGprs */
static const struct map_elem srig_arg_seq[] = {EL(0x80, K_IMSI, 0, "imsi"),
					       EL(0x82, K_ADDR, A_GGSN, "ggsn-Number"), END};
static const struct map_elem srig_arg[] = {
    SEQ(0x30, E_MAND, "SendRoutingInfoForGprsArg", srig_arg_seq), END};
static const struct map_elem srig_res_seq[] = {FIX(0x80, "sgsn-Address", gsn_address_doc), END};
static const struct map_elem srig_res[] = {
    SEQ(0x30, E_MAND, "SendRoutingInfoForGprsRes", srig_res_seq), END};

/* 43 checkIMEI: v3 SEQUENCE { imei, requestedEquipmentInfo }, v1/v2 the bare IMEI */
static const uint8_t req_equipment_status[] = {0x07, 0x80};
static const uint8_t equipment_white_listed[] = {0x00};
static const struct map_elem check_imei_seq[] = {
    EL(0x04, K_IMEI, 0, "imei"), FIX(0x03, "requestedEquipmentInfo", req_equipment_status), END};
static const struct map_elem check_imei_arg[] = {SEQV(0x30, V3, "CheckIMEI-Arg", check_imei_seq),
						 ELV(0x04, K_IMEI, 0, V12, "imei"), END};
static const struct map_elem check_imei_res_seq[] = {
    FIX(0x0a, "equipmentStatus", equipment_white_listed), END};
static const struct map_elem check_imei_res[] = {
    SEQV(0x30, V3, "CheckIMEI-Res", check_imei_res_seq),
    {.tag = T(0x0a),
     .kind = K_FIXED,
     .ver = V12,
     .name = "equipmentStatus",
     .fixed = equipment_white_listed,
     .fixed_len = sizeof(equipment_white_listed)},
    END};

/* 44 mt-forwardSM, 46 mo-forwardSM (forwardSM in v1/v2) */
#define SM_RP_DA                                                                                   \
	ELG(0x80, K_DA, MAP_SMRP_IMSI, 1, "sm-RP-DA.imsi"),                                        \
	    ELG(0x81, K_DA, MAP_SMRP_LMSI, 1, "sm-RP-DA.lmsi"),                                    \
	    ELG(0x83, K_DA, MAP_SMRP_ROAMING_NUMBER, 1, "sm-RP-DA.roamingNumber"),                 \
	    ELG(0x84, K_DA, MAP_SMRP_SC_ADDR, 1, "sm-RP-DA.serviceCentreAddressDA"),               \
	    ELG(0x85, K_DA, MAP_SMRP_NO_SM_RP, 1, "sm-RP-DA.noSM-RP-DA")
#define SM_RP_OA                                                                                   \
	ELG(0x82, K_OA, MAP_SMRP_MSISDN, 2, "sm-RP-OA.msisdn"),                                    \
	    ELG(0x84, K_OA, MAP_SMRP_SC_ADDR, 2, "sm-RP-OA.serviceCentreAddressOA"),               \
	    ELG(0x85, K_OA, MAP_SMRP_NO_SM_RP, 2, "sm-RP-OA.noSM-RP-OA")
static const struct map_elem mt_fsm_arg_seq[] = {SM_RP_DA, SM_RP_OA,
						 ELF(0x04, K_UI, 0, E_MAND, "sm-RP-UI"),
						 EL(0x05, K_SKIP, 0, "moreMessagesToSend"), END};
static const struct map_elem mt_fsm_arg[] = {SEQ(0x30, E_MAND, "MT-ForwardSM-Arg", mt_fsm_arg_seq),
					     END};
static const struct map_elem mo_fsm_arg_seq[] = {SM_RP_DA,
						 SM_RP_OA,
						 ELF(0x04, K_UI, 0, E_MAND, "sm-RP-UI"),
						 EL(0x05, K_SKIP, 0, "moreMessagesToSend"),
						 ELV(0x04, K_IMSI, 0, V3, "imsi"),
						 END};
static const struct map_elem mo_fsm_arg[] = {SEQ(0x30, E_MAND, "MO-ForwardSM-Arg", mo_fsm_arg_seq),
					     END};
static const struct map_elem fsm_res_seq[] = {EL(0x04, K_UI, 0, "sm-RP-UI"), END};
static const struct map_elem fsm_res[] = {SEQV(0x30, V3, "ForwardSM-Res", fsm_res_seq), END};

/* 45 sendRoutingInfoForSM */
static const uint8_t sm_rp_pri_true[] = {0xff};
static const struct map_elem srism_arg_seq[] = {
    EL(0x80, K_ADDR, A_MSISDN, "msisdn"), FIX(0x81, "sm-RP-PRI", sm_rp_pri_true),
    EL(0x82, K_ADDR, A_SC, "serviceCentreAddress"), ELV(0x8c, K_IMSI, 0, V3, "imsi"), END};
static const struct map_elem srism_arg[] = {
    SEQ(0x30, E_MAND, "RoutingInfoForSM-Arg", srism_arg_seq), END};
static const struct map_elem additional_number_sm[] = {
    ELG(0x80, K_ADD_NUM, A_MSC, 1, "msc-Number"), ELG(0x81, K_ADD_NUM, A_SGSN, 1, "sgsn-Number"),
    END};
static const struct map_elem location_info_with_lmsi[] = {
    {.tag = T(0x80), .kind = K_ADDR, .arg = A_MSRN, .group = 1, .ver = V1, .name = "roamingNumber"},
    ELG(0x81, K_ADDR, A_NODE, 1, "networkNode-Number"),
    EL(0x04, K_LMSI, 0, "lmsi"),
    ELV(0x85, K_GPRS_IND, 0, V3, "gprsNodeIndicator"),
    {.tag = T(0xa6),
     .kind = K_SEQ,
     .ver = V3,
     .name = "additional-Number",
     .sub = additional_number_sm},
    END};
static const struct map_elem srism_res_seq[] = {
    EL(0x04, K_IMSI, 0, "imsi"), SEQ(0xa0, E_MAND, "locationInfoWithLMSI", location_info_with_lmsi),
    END};
static const struct map_elem srism_res[] = {
    SEQ(0x30, E_MAND, "RoutingInfoForSM-Res", srism_res_seq), END};

/* 55 sendIdentification: v3 SEQUENCE { tmsi, ..., msc-Number, ..., newVLR-Number [3] };
 * results [3] (v3) or SEQUENCE (v1/v2) starting with the IMSI */
static const uint8_t tmsi_doc[] = {0x00, 0x00, 0x00, 0x01};
static const struct map_elem sid_arg_seq[] = {FIX(0x04, "tmsi", tmsi_doc),
					      EL(0x04, K_ADDR, A_MSC, "msc-Number"),
					      EL(0x83, K_ADDR, A_VLR, "newVLR-Number"), END};
static const struct map_elem sid_arg[] = {SEQV(0x30, V3, "SendIdentificationArg", sid_arg_seq),
					  {.tag = T(0x04),
					   .kind = K_FIXED,
					   .ver = V12,
					   .name = "tmsi",
					   .fixed = tmsi_doc,
					   .fixed_len = sizeof(tmsi_doc)},
					  END};
static const struct map_elem imsi_only[] = {EL(0x04, K_IMSI, 0, "imsi"), END};
static const struct map_elem sid_res[] = {SEQV(0xa3, V3, "SendIdentificationRes", imsi_only),
					  SEQV(0x30, V12, "SendIdentificationRes", imsi_only), END};

/* 56 sendAuthenticationInfo: v3 SEQUENCE { imsi [0], numberOfRequestedVectors }, v2 bare IMSI */
static const uint8_t one_vector[] = {0x01};
static const struct map_elem sai_arg_seq[] = {
    EL(0x80, K_IMSI, 0, "imsi"), FIX(0x02, "numberOfRequestedVectors", one_vector), END};
static const struct map_elem sai_arg[] = {SEQV(0x30, V3, "SendAuthenticationInfoArg", sai_arg_seq),
					  ELV(0x04, K_IMSI, 0, V12, "imsi"), END};
static const struct map_elem sai_res[] = {SEQV(0xa3, V3, "SendAuthenticationInfoRes", no_fields),
					  SEQV(0x30, V12, "authenticationSetList", no_fields), END};

/* 58 sendIMSI */
static const struct map_elem send_imsi_arg[] = {EL(0x04, K_ADDR, A_MSISDN, "msisdn"), END};
static const struct map_elem send_imsi_res[] = {EL(0x04, K_IMSI, 0, "imsi"), END};

/* 59, 60, 61 USSD-Arg / USSD-Res */
static const struct map_elem ussd_seq[] = {
    ELF(0x04, K_USSD_DCS, 0, E_MAND, "ussd-DataCodingScheme"),
    ELF(0x04, K_USSD_STR, 0, E_MAND, "ussd-String"), EL(0x04, K_SKIP, 0, "alertingPattern"),
    EL(0x80, K_ADDR, A_MSISDN, "msisdn"), END};
static const struct map_elem ussd_arg[] = {SEQ(0x30, E_MAND, "USSD-Arg", ussd_seq), END};
static const struct map_elem ussd_res_seq[] = {
    ELF(0x04, K_USSD_DCS, 0, E_MAND, "ussd-DataCodingScheme"),
    ELF(0x04, K_USSD_STR, 0, E_MAND, "ussd-String"), END};
static const struct map_elem ussd_res[] = {SEQ(0x30, E_MAND, "USSD-Res", ussd_res_seq), END};

/* 62 anyTimeSubscriptionInterrogation */
static const struct map_elem req_ss_info[] = {ELF(0x04, K_SS_CODE, 0, E_REQ, "ss-Code"), END};
static const struct map_elem req_subscription_info[] = {
    SEQ(0xa1, 0, "requestedSS-Info", req_ss_info), END};
static const struct map_elem atsi_arg_seq[] = {
    SEQ(0xa0, E_MAND, "subscriberIdentity", subscriber_identity),
    SEQ(0xa1, E_MAND, "requestedSubscriptionInfo", req_subscription_info),
    EL(0x82, K_ADDR, A_GSMSCF, "gsmSCF-Address"), END};
static const struct map_elem atsi_arg[] = {
    SEQ(0x30, E_MAND, "AnyTimeSubscriptionInterrogationArg", atsi_arg_seq), END};
static const struct map_elem call_forwarding_data[] = {
    SEQ(0x30, E_MAND, "forwardingFeatureList", forw_feature_list), END};
static const struct map_elem atsi_res_seq[] = {
    SEQ(0xa1, 0, "callForwardingData", call_forwarding_data), END};
static const struct map_elem atsi_res[] = {
    SEQ(0x30, E_MAND, "AnyTimeSubscriptionInterrogationRes", atsi_res_seq), END};

/* 65 anyTimeModification */
static const struct map_elem mod_cf_info[] = {ELF(0x80, K_SS_CODE, 0, E_REQ, "ss-Code"),
					      EL(0x83, K_ADDR, A_FTN, "forwardedToNumber"), END};
static const struct map_elem mod_cb_info[] = {ELF(0x80, K_SS_CODE, 0, E_REQ, "ss-Code"), END};
static const struct map_elem atm_arg_seq[] = {
    SEQ(0xa0, E_MAND, "subscriberIdentity", subscriber_identity),
    EL(0x81, K_ADDR, A_GSMSCF, "gsmSCF-Address"),
    SEQG(0xa2, 1, 0, "modificationRequestFor-CF-Info", mod_cf_info),
    SEQG(0xa3, 1, 0, "modificationRequestFor-CB-Info", mod_cb_info), END};
static const struct map_elem atm_arg[] = {SEQ(0x30, E_MAND, "AnyTimeModificationArg", atm_arg_seq),
					  END};
static const struct map_elem ext_forw_feature_list[] = {
    SEQ(0x30, 0, "forwardingFeature", forw_feature), END};
static const struct map_elem forwarding_info_for_cse[] = {
    ELF(0x80, K_SS_CODE, 0, E_REQ, "ss-Code"),
    SEQ(0xa1, E_MAND, "forwardingFeatureList", ext_forw_feature_list), END};
static const struct map_elem ss_info_for_cse[] = {
    SEQ(0xa0, 0, "forwardingInfoFor-CSE", forwarding_info_for_cse), END};
static const struct map_elem atm_res_seq[] = {SEQ(0xa0, 0, "ss-InfoFor-CSE", ss_info_for_cse), END};
static const struct map_elem atm_res[] = {SEQ(0x30, E_MAND, "AnyTimeModificationRes", atm_res_seq),
					  END};

/* 67 purgeMS: v3 [3] SEQUENCE { imsi, vlr-Number [0], sgsn-Number [1] }, v2 SEQUENCE { imsi,
 * vlr-Number } */
static const struct map_elem purge_v3[] = {EL(0x04, K_IMSI, 0, "imsi"),
					   EL(0x80, K_ADDR, A_VLR, "vlr-Number"),
					   EL(0x81, K_ADDR, A_SGSN, "sgsn-Number"), END};
static const struct map_elem purge_v2[] = {EL(0x04, K_IMSI, 0, "imsi"),
					   EL(0x04, K_ADDR, A_VLR, "vlr-Number"), END};
static const struct map_elem purge_arg[] = {SEQV(0xa3, V3, "PurgeMS-Arg", purge_v3),
					    SEQV(0x30, V12, "PurgeMS-Arg", purge_v2), END};

/* 70 provideSubscriberInfo, 71 anyTimeInterrogation: RequestedInfo (TS 29.002 7.6.3.31) */
static const struct map_elem requested_info[] = {
    EL(0x80, K_RI, MAP_RI_LOCATION, "locationInformation"),
    EL(0x81, K_RI, MAP_RI_STATE, "subscriberState"),
    EL(0x83, K_RI, MAP_RI_CURRENT_LOCATION, "currentLocation"),
    ELF(0x84, K_RI, MAP_RI_OTHER, E_DEC_ONLY, "requestedDomain"),
    EL(0x86, K_RI, MAP_RI_IMEI, "imei"),
    EL(0x85, K_RI, MAP_RI_MS_CLASSMARK, "ms-classmark"),
    EL(0x87, K_RI, MAP_RI_OTHER, "mnpRequestedInfo"),
    ELF(0x8b, K_RI, MAP_RI_OTHER, E_DEC_ONLY, "locationInformationEPS-Supported"),
    ELF(0x88, K_RI, MAP_RI_OTHER, E_DEC_ONLY, "t-adsData"),
    ELF(0xa9, K_RI, MAP_RI_OTHER, E_DEC_ONLY, "requestedNodes"),
    ELF(0x8a, K_RI, MAP_RI_OTHER, E_DEC_ONLY, "servingNodeIndication"),
    ELF(0x8c, K_RI, MAP_RI_OTHER, E_DEC_ONLY, "localTimeZoneRequest"),
    END};
static const struct map_elem psi_arg_seq[] = {
    EL(0x80, K_IMSI, 0, "imsi"), EL(0x81, K_LMSI, 0, "lmsi"),
    SEQ(0xa2, E_MAND | E_ANY_ORDER, "requestedInfo", requested_info), END};
static const struct map_elem psi_arg[] = {
    SEQ(0x30, E_MAND, "ProvideSubscriberInfoArg", psi_arg_seq), END};
static const struct map_elem ati_arg_seq[] = {
    SEQ(0xa0, E_MAND, "subscriberIdentity", subscriber_identity),
    SEQ(0xa1, E_MAND | E_ANY_ORDER, "requestedInfo", requested_info),
    EL(0x83, K_ADDR, A_GSMSCF, "gsmSCF-Address"), END};
static const struct map_elem ati_arg[] = {SEQ(0x30, E_MAND, "AnyTimeInterrogationArg", ati_arg_seq),
					  END};
static const struct map_elem location_information[] = {EL(0x81, K_ADDR, A_VLR, "vlr-number"),
						       EL(0x86, K_ADDR, A_MSC, "msc-Number"), END};
static const struct map_elem subscriber_info[] = {
    SEQ(0xa0, 0, "locationInformation", location_information), EL(0x85, K_IMEI, 0, "imei"), END};
static const struct map_elem psi_res_seq[] = {SEQ(0x30, E_MAND, "subscriberInfo", subscriber_info),
					      END};
static const struct map_elem psi_res[] = {
    SEQ(0x30, E_MAND, "ProvideSubscriberInfoRes", psi_res_seq), END};

/* 83 provideSubscriberLocation: locationType currentLocation; result an ellipsoid point
 * (TS 23.032 shape 0) at 0 N 0 E */
static const uint8_t location_type_current[] = {0x80, 0x01, 0x00};
static const uint8_t ellipsoid_point_origin[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
static const struct map_elem psl_arg_seq[] = {{.tag = T(0x30),
					       .kind = K_FIXED,
					       .name = "locationType",
					       .fixed = location_type_current,
					       .fixed_len = sizeof(location_type_current)},
					      EL(0x04, K_ADDR, A_GMLC, "mlc-Number"),
					      EL(0x82, K_IMSI, 0, "imsi"),
					      EL(0x83, K_ADDR, A_MSISDN, "msisdn"),
					      EL(0x84, K_LMSI, 0, "lmsi"),
					      EL(0x85, K_IMEI, 0, "imei"),
					      END};
static const struct map_elem psl_arg[] = {
    SEQ(0x30, E_MAND, "ProvideSubscriberLocation-Arg", psl_arg_seq), END};
static const struct map_elem psl_res_seq[] = {FIX(0x04, "locationEstimate", ellipsoid_point_origin),
					      END};
static const struct map_elem psl_res[] = {
    SEQ(0x30, E_MAND, "ProvideSubscriberLocation-Res", psl_res_seq), END};

/* 85 sendRoutingInfoForLCS */
static const struct map_elem srilcs_arg_seq[] = {
    EL(0x80, K_ADDR, A_GMLC, "mlcNumber"), SEQ(0xa1, E_MAND, "targetMS", subscriber_identity), END};
static const struct map_elem srilcs_arg[] = {
    SEQ(0x30, E_MAND, "RoutingInfoForLCS-Arg", srilcs_arg_seq), END};
static const struct map_elem lcs_location_info[] = {
    EL(0x04, K_ADDR, A_NODE, "networkNode-Number"), EL(0x80, K_LMSI, 0, "lmsi"),
    EL(0x82, K_GPRS_IND, 0, "gprsNodeIndicator"),
    SEQ(0xa3, 0, "additional-Number", additional_number_sm), END};
static const struct map_elem srilcs_res_seq[] = {
    SEQ(0xa0, E_MAND, "targetMS", subscriber_identity),
    SEQ(0xa1, E_MAND, "lcsLocationInfo", lcs_location_info), END};
static const struct map_elem srilcs_res[] = {
    SEQ(0x30, E_MAND, "RoutingInfoForLCS-Res", srilcs_res_seq), END};

struct map_op_schema {
	uint8_t op, ac, ac_version;
	const struct map_elem *arg, *res; /* alternatives; res NULL: no result parameter */
};

/* TS 29.002 17.2 (operation to application context) and the schemas above */
static const struct map_op_schema map_schemas[] = {
    {2, 1, 3, ul_arg, ul_res},
    {3, 2, 3, cl_arg, cl_res},
    {4, 3, 3, prn_arg, prn_res},
    {7, 16, 3, isd_arg, empty_res},
    {8, 16, 3, dsd_arg, empty_res},
    {10, 18, 2, reg_ss_arg, ss_info_res},
    {11, 18, 2, ss_for_bs_arg, ss_info_res},
    {12, 18, 2, ss_for_bs_arg, ss_info_res},
    {13, 18, 2, ss_for_bs_arg, ss_info_res},
    {14, 18, 2, ss_for_bs_arg, interrogate_ss_res},
    {22, 5, 3, sri_arg, sri_res},
    {23, 32, 3, ugl_arg, ugl_res},
    {24, 33, 4, srig_arg, srig_res},
    {43, 13, 3, check_imei_arg, check_imei_res},
    {44, 25, 3, mt_fsm_arg, fsm_res},
    {45, 20, 3, srism_arg, srism_res},
    {46, 21, 3, mo_fsm_arg, fsm_res},
    {55, 15, 3, sid_arg, sid_res},
    {56, 14, 3, sai_arg, sai_res},
    {58, 26, 2, send_imsi_arg, send_imsi_res},
    {59, 19, 2, ussd_arg, ussd_res},
    {60, 19, 2, ussd_arg, ussd_res},
    {61, 19, 2, ussd_arg, NULL},
    {62, 43, 3, atsi_arg, atsi_res},
    {65, 43, 3, atm_arg, atm_res},
    {67, 27, 3, purge_arg, empty_res},
    {70, 28, 3, psi_arg, psi_res},
    {71, 29, 3, ati_arg, psi_res},
    {83, 38, 3, psl_arg, psl_res},
    {85, 37, 3, srilcs_arg, srilcs_res},
};

static const struct map_op_schema *schema_for(int op)
{
	for (size_t i = 0; i < sizeof(map_schemas) / sizeof(map_schemas[0]); i++)
		if (map_schemas[i].op == op)
			return &map_schemas[i];
	return NULL;
}

bool map_op_supported(int op)
{
	return schema_for(op) != NULL;
}

int map_op_default_ac(int op, uint8_t *ac, uint8_t *version)
{
	const struct map_op_schema *s = schema_for(op);
	if (!s)
		return 0;
	if (ac)
		*ac = s->ac;
	if (version)
		*version = s->ac_version;
	return s->ac;
}

static struct dfs_addr *addr_of(struct map_fields *f, uint8_t dest)
{
	struct dfs_addr *t[] = {&f->msisdn,  &f->msc,  &f->vlr,	 &f->hlr,	   &f->sgsn,
				&f->sc_addr, &f->ftn,  &f->gmlc, &f->serving_node, &f->msrn,
				&f->gsmscf,  &f->ggsn, &f->gmsc};
	return dest < sizeof(t) / sizeof(t[0]) ? t[dest] : NULL;
}

static const struct dfs_addr *caddr_of(const struct map_fields *f, uint8_t dest)
{
	return addr_of((struct map_fields *)f, dest);
}

/* ---- decoding ---- */

struct map_dec {
	struct map_fields *f;
	struct dfs_err *e;
	bool gprs_node;
};

static int dec_digits(struct map_dec *d, const struct ber_tlv *t, const uint8_t *p, size_t n,
		      char *out, size_t outsz, const char *name)
{
	if (tbcd_decode(p, n, -1, out, outsz) < 0)
		return dfs_err_set(d->e, L, name, t->off, "digits are not TBCD or too many");
	return 0;
}

/* TS 29.002 17.7.8 AddressString: 1..20 octets; digits must fit DFS_DIGITS_MAX */
static int dec_addr(struct map_dec *d, const struct ber_tlv *t, struct dfs_addr *a,
		    const char *name)
{
	if (t->v.len < 1 || t->v.len > 20)
		return dfs_err_set(d->e, L, name, t->off, "AddressString must be 1 to 20 octets");
	a->present = true;
	a->ton_npi = t->v.p[0];
	return dec_digits(d, t, t->v.p + 1, t->v.len - 1, a->digits, sizeof(a->digits), name);
}

static int dec_imsi(struct map_dec *d, const struct ber_tlv *t, char *out, size_t outsz,
		    const char *name)
{
	if (t->v.len < 3 || t->v.len > 8)
		return dfs_err_set(d->e, L, name, t->off, "IMSI must be 3 to 8 octets");
	return dec_digits(d, t, t->v.p, t->v.len, out, outsz, name);
}

static int dec_fixed_len(struct map_dec *d, const struct ber_tlv *t, size_t min, size_t max,
			 const char *name)
{
	if (t->v.len < min || t->v.len > max)
		return dfs_err_set(d->e, L, name, t->off, "wrong length");
	return 0;
}

static int dec_sm_rp(struct map_dec *d, const struct map_elem *el, const struct ber_tlv *t,
		     char *out, size_t outsz)
{
	struct map_fields *f = d->f;
	switch (el->arg) {
	case MAP_SMRP_IMSI:
		if (dec_imsi(d, t, f->imsi, sizeof(f->imsi), el->name) < 0)
			return -EBADMSG;
		f->has_imsi = true;
		snprintf(out, outsz, "%s", f->imsi);
		return 0;
	case MAP_SMRP_LMSI:
		if (dec_fixed_len(d, t, 4, 4, el->name) < 0)
			return -EBADMSG;
		memcpy(f->lmsi, t->v.p, 4);
		f->has_lmsi = true;
		snprintf(out, outsz, "%02x%02x%02x%02x", t->v.p[0], t->v.p[1], t->v.p[2],
			 t->v.p[3]);
		return 0;
	case MAP_SMRP_NO_SM_RP:
		out[0] = 0;
		return dec_fixed_len(d, t, 0, 0, el->name);
	default: {
		uint8_t dest = el->arg == MAP_SMRP_MSISDN    ? A_MSISDN
			       : el->arg == MAP_SMRP_SC_ADDR ? A_SC
							     : A_MSRN;
		struct dfs_addr *a = addr_of(f, dest);
		if (dec_addr(d, t, a, el->name) < 0)
			return -EBADMSG;
		snprintf(out, outsz, "%s", a->digits);
		return 0;
	}
	}
}

static int dec_elem(struct map_dec *d, const struct map_elem *el, const struct ber_tlv *t);

static const struct map_elem *match_child(const struct map_elem *sub, size_t from, uint32_t tag,
					  size_t *idx)
{
	for (size_t j = from; sub[j].name; j++)
		if (sub[j].tag == tag) {
			*idx = j;
			return &sub[j];
		}
	return NULL;
}

/* SEQUENCE contents: each element goes to the next schema entry with its tag (so positional
 * OCTET STRINGs such as imsi, vlr-Number land in order); CHOICE alternatives share a group and
 * only one is taken; unknown elements (extensions) are checked for form and skipped. */
static int dec_seq(struct map_dec *d, const struct map_elem *el, const struct ber_tlv *t)
{
	struct dfs_buf b = ber_contents(t);
	size_t cur = 0, j;
	while (dfs_buf_left(&b)) {
		struct ber_tlv c;
		if (ber_read(&b, &c, true, L, el->name, d->e) < 0)
			return -EBADMSG;
		const struct map_elem *m =
		    match_child(el->sub, (el->flags & E_ANY_ORDER) ? 0 : cur, c.tag, &j);
		if (!m)
			continue;
		if (dec_elem(d, m, &c) < 0)
			return -EBADMSG;
		if (el->flags & E_ANY_ORDER)
			continue;
		cur = j + 1;
		if (m->group)
			while (el->sub[cur].name && el->sub[cur].group == m->group)
				cur++;
	}
	return 0;
}

static int dec_elem(struct map_dec *d, const struct map_elem *el, const struct ber_tlv *t)
{
	struct map_fields *f = d->f;
	if (t->indefinite && el->kind != K_SEQ && el->kind != K_FIXED && el->kind != K_SKIP)
		return dfs_err_set(d->e, L, el->name, t->off,
				   "constructed form where a primitive is expected");
	switch (el->kind) {
	case K_SEQ:
		return dec_seq(d, el, t);
	case K_IMSI:
		if (dec_imsi(d, t, f->imsi, sizeof(f->imsi), el->name) < 0)
			return -EBADMSG;
		f->has_imsi = true;
		return 0;
	case K_ADDR:
	case K_ADD_NUM:
		return dec_addr(d, t, addr_of(f, el->arg), el->name);
	case K_LMSI:
		if (dec_fixed_len(d, t, 4, 4, el->name) < 0)
			return -EBADMSG;
		memcpy(f->lmsi, t->v.p, 4);
		f->has_lmsi = true;
		return 0;
	case K_IMEI:
		if (dec_fixed_len(d, t, 8, 8, el->name) < 0 ||
		    dec_digits(d, t, t->v.p, t->v.len, f->imei, sizeof(f->imei), el->name) < 0)
			return -EBADMSG;
		f->has_imei = true;
		return 0;
	case K_SS_CODE:
		if (dec_fixed_len(d, t, 1, 1, el->name) < 0)
			return -EBADMSG;
		f->has_ss_code = true;
		f->ss_code = t->v.p[0];
		return 0;
	case K_USSD_DCS:
		if (dec_fixed_len(d, t, 1, 1, el->name) < 0)
			return -EBADMSG;
		f->has_ussd = true;
		f->ussd_dcs = t->v.p[0];
		return 0;
	case K_USSD_STR:
		if (dec_fixed_len(d, t, 1, 160, el->name) < 0)
			return -EBADMSG;
		f->ussd_string = t->v;
		return 0;
	case K_UI:
		if (dec_fixed_len(d, t, 1, 200, el->name) < 0)
			return -EBADMSG;
		f->sm_rp_ui = t->v;
		return 0;
	case K_DA:
		f->sm_rp_da_type = el->arg;
		return dec_sm_rp(d, el, t, f->sm_rp_da, sizeof(f->sm_rp_da));
	case K_OA:
		f->sm_rp_oa_type = el->arg;
		return dec_sm_rp(d, el, t, f->sm_rp_oa, sizeof(f->sm_rp_oa));
	case K_RI:
		f->requested_info |= el->arg;
		return 0;
	case K_GPRS_IND:
		d->gprs_node = true;
		return dec_fixed_len(d, t, 0, 0, el->name);
	default: /* K_FIXED, K_SKIP */
		return 0;
	}
}

int map_decode_param(const struct tcap_component *c, int opcode, struct map_fields *f,
		     struct dfs_err *e)
{
	map_fields_init(f);
	f->opcode = opcode;
	f->is_result = c->type == TCAP_RESULT_L || c->type == TCAP_RESULT_NL;
	if (c->type == TCAP_ERROR) {
		f->has_error = c->has_error_code && !c->error_global;
		f->error_code = c->error_code;
		return 0;
	}
	const struct map_op_schema *s = schema_for(opcode);
	const struct map_elem *alts = !s		       ? NULL
				      : f->is_result	       ? s->res
				      : c->type == TCAP_INVOKE ? s->arg
							       : NULL;
	if (!alts || !c->param.len)
		return 0;
	struct dfs_buf b = dfs_buf_init(c->param.p, c->param.len, c->param_offset);
	struct ber_tlv t;
	if (ber_read(&b, &t, true, L, "parameter", e) < 0)
		return -EBADMSG;
	const struct map_elem *alt = NULL;
	for (size_t i = 0; alts[i].name && !alt; i++)
		if (alts[i].tag == t.tag)
			alt = &alts[i];
	if (!alt)
		return dfs_err_set(e, L, "parameter", t.off,
				   "unexpected parameter type for this operation");
	struct map_dec d = {f, e, false};
	if (dec_elem(&d, alt, &t) < 0)
		return -EBADMSG;
	/* the network node of SRI-for-SM / SRI-for-LCS results is the serving MSC, or the SGSN
	 * when gprsNodeIndicator is present (TS 29.002 7.6.2.x) */
	if (f->serving_node.present)
		*(d.gprs_node ? &f->sgsn : &f->msc) = f->serving_node;
	return 0;
}

/* ---- encoding ---- */

struct map_enc {
	struct dfs_wbuf *w;
	const struct map_fields *f;
	uint8_t ver_bit;
	unsigned flags;
};

static bool same_addr(const struct dfs_addr *a, const struct dfs_addr *b)
{
	return a->present && b->present && !strcmp(a->digits, b->digits);
}

static bool gprs_node(const struct map_fields *f)
{
	return same_addr(&f->sgsn, &f->serving_node);
}

static bool in_version(const struct map_enc *x, const struct map_elem *el)
{
	return !(el->flags & E_DEC_ONLY) && (!el->ver || (el->ver & x->ver_bit));
}

static bool has_value(const struct map_enc *x, const struct map_elem *el)
{
	const struct map_fields *f = x->f;
	if (!in_version(x, el))
		return false;
	switch (el->kind) {
	case K_SEQ: {
		bool any = false;
		for (const struct map_elem *c = el->sub; c->name; c++) {
			bool v = c->kind != K_FIXED && has_value(x, c);
			if ((c->flags & E_REQ) && !v)
				return false;
			any |= v;
		}
		return any;
	}
	case K_IMSI:
		return f->has_imsi;
	case K_ADDR:
		return caddr_of(f, el->arg)->present;
	case K_ADD_NUM: /* the other node type than the network node */
		if (el->arg == A_MSC)
			return gprs_node(f) && f->msc.present &&
			       !same_addr(&f->msc, &f->serving_node);
		return !gprs_node(f) && f->sgsn.present && !same_addr(&f->sgsn, &f->serving_node);
	case K_LMSI:
		return f->has_lmsi;
	case K_IMEI:
		return f->has_imei;
	case K_SS_CODE:
		return f->has_ss_code;
	case K_USSD_DCS:
	case K_USSD_STR:
		return f->has_ussd;
	case K_UI:
		return f->sm_rp_ui.len > 0;
	case K_DA:
		return f->sm_rp_da_type == el->arg;
	case K_OA:
		return f->sm_rp_oa_type == el->arg;
	case K_RI:
		return (f->requested_info & el->arg) != 0;
	case K_GPRS_IND:
		return gprs_node(f);
	case K_FIXED:
		return true;
	default:
		return false;
	}
}

static int enc_addr(struct map_enc *x, uint32_t tag, const struct dfs_addr *a)
{
	uint8_t o[1 + 16];
	int n = tbcd_encode(a->digits, o + 1, sizeof(o) - 1);
	if (n < 0)
		return -EINVAL;
	o[0] = a->ton_npi;
	ber_put_tlv(x->w, tag, o, (size_t)n + 1, x->flags);
	return 0;
}

static int enc_tbcd(struct map_enc *x, uint32_t tag, const char *digits, size_t max)
{
	uint8_t o[8];
	int n = tbcd_encode(digits, o, sizeof(o));
	if (n < 1 || (size_t)n > max)
		return -EINVAL;
	ber_put_tlv(x->w, tag, o, (size_t)n, x->flags);
	return 0;
}

static int enc_elem(struct map_enc *x, const struct map_elem *el);

static int enc_seq(struct map_enc *x, const struct map_elem *el)
{
	struct ber_mark m = ber_open(x->w, el->tag);
	uint8_t done_group = 0;
	for (const struct map_elem *c = el->sub; c->name; c++) {
		if (!in_version(x, c) || (c->group && c->group == done_group))
			continue;
		bool v = has_value(x, c);
		if (!v && !(c->kind == K_SEQ && (c->flags & E_MAND) && !c->group) &&
		    !(c->kind == K_UI && (c->flags & E_MAND)))
			continue;
		if (enc_elem(x, c) < 0)
			return -EINVAL;
		if (c->group)
			done_group = c->group;
	}
	ber_close(x->w, m, x->flags);
	return 0;
}

static int enc_elem(struct map_enc *x, const struct map_elem *el)
{
	const struct map_fields *f = x->f;
	switch (el->kind) {
	case K_SEQ:
		return enc_seq(x, el);
	case K_IMSI:
		return enc_tbcd(x, el->tag, f->imsi, 8);
	case K_ADDR:
	case K_ADD_NUM:
		return enc_addr(x, el->tag, caddr_of(f, el->arg));
	case K_LMSI:
		ber_put_tlv(x->w, el->tag, f->lmsi, 4, x->flags);
		return 0;
	case K_IMEI:
		return strlen(f->imei) < 15 ? -EINVAL : enc_tbcd(x, el->tag, f->imei, 8);
	case K_SS_CODE:
		ber_put_tlv(x->w, el->tag, &f->ss_code, 1, x->flags);
		return 0;
	case K_USSD_DCS:
		ber_put_tlv(x->w, el->tag, &f->ussd_dcs, 1, x->flags);
		return 0;
	case K_USSD_STR:
		if (f->ussd_string.len < 1 || f->ussd_string.len > 160)
			return -EINVAL;
		ber_put_tlv(x->w, el->tag, f->ussd_string.p, f->ussd_string.len, x->flags);
		return 0;
	case K_UI:
		ber_put_tlv(x->w, el->tag, f->sm_rp_ui.p, f->sm_rp_ui.len, x->flags);
		return 0;
	case K_DA:
	case K_OA:
		switch (el->arg) {
		case MAP_SMRP_IMSI:
			return enc_tbcd(x, el->tag, f->imsi, 8);
		case MAP_SMRP_LMSI:
			ber_put_tlv(x->w, el->tag, f->lmsi, 4, x->flags);
			return 0;
		case MAP_SMRP_NO_SM_RP:
			ber_put_tlv(x->w, el->tag, NULL, 0, x->flags);
			return 0;
		default:
			return enc_addr(x, el->tag,
					el->arg == MAP_SMRP_MSISDN    ? &f->msisdn
					: el->arg == MAP_SMRP_SC_ADDR ? &f->sc_addr
								      : &f->msrn);
		}
	case K_RI:
	case K_GPRS_IND:
		ber_put_tlv(x->w, el->tag, NULL, 0, x->flags);
		return 0;
	case K_FIXED:
		ber_put_tlv(x->w, el->tag, el->fixed, el->fixed_len, x->flags);
		return 0;
	default:
		return 0;
	}
}

static int map_encode_param(struct dfs_wbuf *w, int opcode, const struct map_fields *f,
			    uint8_t version, unsigned flags, bool result)
{
	const struct map_op_schema *s = schema_for(opcode);
	if (!s || version < 1 || version > 4)
		return -EINVAL;
	const struct map_elem *alts = result ? s->res : s->arg;
	struct map_enc x = {w, f, (uint8_t)(1u << (version > 3 ? 3 : version)), flags};
	if (!alts)
		return 0;
	/* the first alternative of this version that has a value, else the first of this version */
	const struct map_elem *alt = NULL;
	for (size_t i = 0; alts[i].name; i++) {
		if (!in_version(&x, &alts[i]))
			continue;
		if (!alt)
			alt = &alts[i];
		if (has_value(&x, &alts[i])) {
			alt = &alts[i];
			break;
		}
	}
	if (!alt)
		return 0; /* no parameter in this version */
	if (alt->kind != K_SEQ && !has_value(&x, alt))
		return -EINVAL; /* a bare parameter without its value */
	if (enc_elem(&x, alt) < 0)
		return -EINVAL;
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}

int map_encode_arg_opt(struct dfs_wbuf *w, int opcode, const struct map_fields *f, uint8_t version,
		       unsigned flags)
{
	return map_encode_param(w, opcode, f, version, flags, false);
}

int map_encode_result_opt(struct dfs_wbuf *w, int opcode, const struct map_fields *f,
			  uint8_t version, unsigned flags)
{
	return map_encode_param(w, opcode, f, version, flags, true);
}

int map_encode_arg(struct dfs_wbuf *w, int opcode, const struct map_fields *f)
{
	return map_encode_arg_opt(w, opcode, f, 3, 0);
}

int map_encode_result(struct dfs_wbuf *w, int opcode, const struct map_fields *f)
{
	return map_encode_result_opt(w, opcode, f, 3, 0);
}

/* ---- whole TCAP messages ---- */

#define MAP_PARAM_MAX 1024

/* Q.773 4.2.2 protocol-version BIT STRING { version1 (0) } */
static const uint8_t tcap_version1[] = {0x07, 0x80};

static int tx_to_tcap(const struct map_tx *tx, struct tcap_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (tx->msg_type != TCAP_BEGIN && tx->msg_type != TCAP_CONTINUE && tx->msg_type != TCAP_END)
		return -EINVAL;
	m->msg_type = tx->msg_type;
	if (tx->msg_type != TCAP_END)
		m->otid = (struct tcap_tid){true, 4, tx->otid};
	if (tx->msg_type != TCAP_BEGIN)
		m->dtid = (struct tcap_tid){true, 4, tx->dtid};
	m->has_components = true;
	m->n_components = 1;
	if (!tx->ac)
		return 0;
	m->has_dialogue = true;
	m->ac_is_map = true;
	m->map_ac = tx->ac;
	m->map_ac_version = tx->ac_version;
	m->proto_version = (struct dfs_view){tcap_version1, sizeof(tcap_version1)};
	if (tx->msg_type == TCAP_BEGIN) {
		m->dlg_pdu = TCAP_DLG_AARQ;
		if (tx->open_info) {
			m->has_open_info = true;
			snprintf(m->dest_ref, sizeof(m->dest_ref), "%s",
				 tx->dest_ref ? tx->dest_ref : "");
			snprintf(m->orig_ref, sizeof(m->orig_ref), "%s",
				 tx->orig_ref ? tx->orig_ref : "");
			m->dest_ref_ton_npi = tx->dest_ref_ton_npi;
			m->orig_ref_ton_npi = tx->orig_ref_ton_npi;
		}
	} else {
		m->dlg_pdu = TCAP_DLG_AARE;
		m->aare_result = TCAP_AARE_ACCEPTED;
		m->aare_diag_tag = TCAP_DIAG_USER;
		m->aare_diag = TCAP_USER_NULL;
	}
	return 0;
}

static uint8_t tx_version(const struct map_tx *tx)
{
	return tx->ac_version ? tx->ac_version : 3;
}

/* An Invoke of opcode with its argument, or a ReturnResultLast with its result (the operation
 * code only when there is a result parameter). */
static int map_build_op(struct dfs_wbuf *w, const struct map_tx *tx, int invoke_id, int opcode,
			const struct map_fields *f, bool result)
{
	struct tcap_msg m;
	uint8_t param[MAP_PARAM_MAX];
	struct dfs_wbuf pw = dfs_wbuf_init(param, sizeof(param));
	int rc;
	if (tx_to_tcap(tx, &m) < 0)
		return -EINVAL;
	if (f && (rc = map_encode_param(&pw, opcode, f, tx_version(tx), tx->flags, result)) < 0)
		return rc;
	m.comp[0] = (struct tcap_component){.type = result ? TCAP_RESULT_L : TCAP_INVOKE,
					    .has_invoke_id = true,
					    .invoke_id = invoke_id,
					    .has_opcode = !result || pw.len > 0,
					    .opcode = opcode,
					    .param = {param, pw.len}};
	return tcap_encode_opt(w, &m, tx->flags);
}

int map_build_invoke(struct dfs_wbuf *w, const struct map_tx *tx, int invoke_id, int opcode,
		     const struct map_fields *f)
{
	return map_build_op(w, tx, invoke_id, opcode, f, false);
}

int map_build_begin(struct dfs_wbuf *w, uint32_t otid, uint8_t ac, uint8_t ac_version, int opcode,
		    int invoke_id, const struct map_fields *f)
{
	struct map_tx tx = {
	    .msg_type = TCAP_BEGIN, .otid = otid, .ac = ac, .ac_version = ac_version};
	return map_build_invoke(w, &tx, invoke_id, opcode, f);
}

int map_build_result(struct dfs_wbuf *w, const struct map_tx *tx, int invoke_id, int opcode,
		     const struct map_fields *f)
{
	return map_build_op(w, tx, invoke_id, opcode, f, true);
}

int map_build_error(struct dfs_wbuf *w, const struct map_tx *tx, int invoke_id, int error_code)
{
	struct tcap_msg m;
	if (tx_to_tcap(tx, &m) < 0)
		return -EINVAL;
	m.comp[0] = (struct tcap_component){.type = TCAP_ERROR,
					    .has_invoke_id = true,
					    .invoke_id = invoke_id,
					    .has_error_code = true,
					    .error_code = error_code};
	return tcap_encode_opt(w, &m, tx->flags);
}

int map_build_reject(struct dfs_wbuf *w, const struct map_tx *tx, int invoke_id,
		     uint8_t problem_tag, int problem_code)
{
	struct tcap_msg m;
	if (tx_to_tcap(tx, &m) < 0)
		return -EINVAL;
	m.comp[0] = (struct tcap_component){.type = TCAP_REJECT,
					    .has_invoke_id = invoke_id >= 0,
					    .invoke_id = invoke_id,
					    .problem_tag = problem_tag,
					    .problem_code = problem_code};
	return tcap_encode_opt(w, &m, tx->flags);
}

/* An Abort to dtid; user: with a dialogue portion holding dlg_pdu, else a P-Abort. */
static void abort_msg(struct tcap_msg *m, uint32_t dtid, bool user, uint16_t dlg_pdu)
{
	memset(m, 0, sizeof(*m));
	m->msg_type = TCAP_ABORT;
	m->dtid = (struct tcap_tid){true, 4, dtid};
	m->has_dialogue = m->has_u_abort = user;
	m->has_p_abort = !user;
	m->dlg_pdu = dlg_pdu;
}

int map_build_u_abort(struct dfs_wbuf *w, uint32_t dtid, unsigned flags)
{
	struct tcap_msg m;
	abort_msg(&m, dtid, true, TCAP_DLG_ABRT);
	m.abrt_source = TCAP_ABRT_USER;
	return tcap_encode_opt(w, &m, flags);
}

int map_build_refuse(struct dfs_wbuf *w, uint32_t dtid, uint8_t ac, uint8_t ac_version,
		     unsigned flags)
{
	struct tcap_msg m;
	abort_msg(&m, dtid, true, TCAP_DLG_AARE);
	m.proto_version = (struct dfs_view){tcap_version1, sizeof(tcap_version1)};
	m.ac_is_map = true;
	m.map_ac = ac;
	m.map_ac_version = ac_version;
	m.aare_result = TCAP_AARE_REJECT_PERMANENT;
	m.aare_diag_tag = TCAP_DIAG_USER;
	m.aare_diag = TCAP_USER_AC_NOT_SUPPORTED;
	return tcap_encode_opt(w, &m, flags);
}

int map_build_p_abort(struct dfs_wbuf *w, uint32_t dtid, uint8_t cause, unsigned flags)
{
	struct tcap_msg m;
	abort_msg(&m, dtid, false, TCAP_DLG_NONE);
	m.p_abort_cause = cause;
	return tcap_encode_opt(w, &m, flags);
}

int map_build_open(struct dfs_wbuf *w, const struct map_tx *tx)
{
	struct tcap_msg m;
	if ((tx->msg_type != TCAP_BEGIN && tx->msg_type != TCAP_CONTINUE) || !tx->ac ||
	    tx_to_tcap(tx, &m) < 0)
		return -EINVAL;
	m.has_components = false;
	m.n_components = 0;
	return tcap_encode_opt(w, &m, tx->flags);
}

int map_build_end(struct dfs_wbuf *w, uint32_t dtid, unsigned flags)
{
	/* Q.771 3.2.2.2 basic end: an End with the destination id and nothing else */
	struct tcap_msg m;
	memset(&m, 0, sizeof(m));
	m.msg_type = TCAP_END;
	m.dtid = (struct tcap_tid){true, 4, dtid};
	return tcap_encode_opt(w, &m, flags);
}

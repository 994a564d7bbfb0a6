#!/usr/bin/env python3
"""Field-by-field agreement between `dfsguard decode` and `tshark -T fields`.

usage: decode_agreement.py [--vectors] DFSGUARD CAPTURE...

--vectors: the captures were not written by us; frames tshark itself flags are noted, not failed.

For every frame, the values dfsguard reports for each field are compared with the
occurrences tshark reports for its field (as multisets: a frame may bundle several
messages). Prints each mismatch, a per-field tally, and exits 1 on any mismatch, on a frame
dfsguard could not decode that tshark dissects, or on a frame tshark flags as malformed.
"""
import collections
import json
import subprocess
import sys

# (tshark field, extractor over one dfsguard unit object -> list of string values)
def _m3ua(k):
    return lambda u: [str(u["m3ua"][k])] if "m3ua" in u and k in u["m3ua"] else []

def _mtp3(k):
    # tshark fills mtp3.opc/dpc for the M3UA Protocol Data too
    def get(u):
        layer = u.get("mtp3") or u.get("m3ua") or {}
        return [str(layer[k])] if k in layer else []
    return get

def _sccp(side, k):
    def get(u):
        a = u.get("sccp", {}).get(side, {})
        v = a.get(k)
        return [str(v)] if v not in (None, "") else []
    return get

def _tcap(k):
    return lambda u: [u["tcap"][k]] if k in u.get("tcap", {}) else []

def _opcodes(u):
    return [str(c["opcode"]) for c in u.get("tcap", {}).get("components", []) if "opcode" in c]

def _map(k):
    def get(u):
        v = u.get("map", {}).get(k)
        if isinstance(v, dict):
            v = v.get("digits")
        return [str(v)] if v not in (None, "") else []
    return get

def _sms(k):
    def get(u):
        v = u.get("map", {}).get("sms", {}).get(k)
        return [str(v)] if v not in (None, "") else []
    return get

def _isup(side):
    def get(u):
        v = u.get("isup", {}).get(side, {}).get("digits")
        return [v] if v else []
    return get

EXACT = [
    ("m3ua.protocol_data_opc", _m3ua("opc")),
    ("m3ua.protocol_data_dpc", _m3ua("dpc")),
    ("m3ua.protocol_data_si", _m3ua("si")),
    ("m3ua.protocol_data_sls", _m3ua("sls")),
    ("mtp3.opc", _mtp3("opc")),
    ("mtp3.dpc", _mtp3("dpc")),
    ("sccp.called.digits", _sccp("called", "digits")),
    ("sccp.calling.digits", _sccp("calling", "digits")),
    ("sccp.called.ssn", _sccp("called", "ssn")),
    ("sccp.calling.ssn", _sccp("calling", "ssn")),
    ("sccp.called.tt", _sccp("called", "tt")),
    ("sccp.called.nai", _sccp("called", "nai")),
    ("tcap.otid", _tcap("otid")),
    ("tcap.dtid", _tcap("dtid")),
    ("opcode", _opcodes),  # gsm_old.localValue (MAP) + camel.local (CAP), see tshark_rows
    ("gsm_map.ussd_string", _map("ussd_text")),
    ("gsm_map.ss.ussd_DataCodingScheme", lambda u: ["%02x" % u["map"]["ussd_dcs"]]
        if "ussd_dcs" in u.get("map", {}) else []),
    ("gsm_sms.tp-pid", _sms("pid")),
    ("gsm_sms.tp-dcs", _sms("dcs")),
    ("isup.cic", lambda u: [str(u["isup"]["cic"])] if "isup" in u else []),
    ("isup.calling", _isup("calling")),
    ("isup.called", _isup("called")),
]
# tshark also shows IMSIs and MSISDNs it finds elsewhere (MAP-OpenInfo references, E.214
# GTs); for these every value dfsguard reports must be among tshark's.
SUBSET = [
    ("e212.imsi", _map("imsi")),
    ("e164.msisdn", _map("msisdn")),
]

def norm(field, v):
    v = v.strip()
    if field.startswith(("sccp.", "m3ua.", "mtp3.", "isup.cic")) and v.startswith("0x"):
        return str(int(v, 16))
    if field == "gsm_map.ss.ussd_DataCodingScheme":
        return v.lower().replace("0x", "").zfill(2)
    if field in ("tcap.otid", "tcap.dtid"):
        return v.replace(":", "").lower()
    if field.startswith("gsm_sms.tp-") and v.startswith("0x"):
        return str(int(v, 16))
    return v

# SSNs of the shared CAMEL capture that tshark does not map to TCAP by itself
DECODE_AS = ["-d", "sccp.ssn==152,tcap", "-d", "sccp.ssn==200,tcap"]

def tshark_rows(capture, fields):
    fields = [f for f in fields if f != "opcode"] + ["gsm_old.localValue", "camel.local",
                                                      "frame.protocols"]
    cmd = ["tshark", "-n", "-r", capture] + DECODE_AS + ["-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=\x1f", "-e", "frame.number"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        frame = int(cols[0])
        row = {f: [norm(f, x) for x in cols[i + 1].split("\x1f") if x != ""]
               if i + 1 < len(cols) else [] for i, f in enumerate(fields)}
        # opcodes only where tshark dissected the TCAP user (MAP or CAP), not as raw data
        protos = ":".join(row.pop("frame.protocols")).split(":")
        ops = row.pop("gsm_old.localValue") + row.pop("camel.local")
        row["opcode"] = ops if ("gsm_map" in protos or "camel" in protos) and "data" not in protos else None
        if "tcap" in protos:  # ISUP parameters inside CAP (InitialDP calling number)
            for f in ("isup.calling", "isup.called", "isup.cic"):
                if f in row:
                    row[f] = None
        rows[frame] = row
    return rows

def malformed_frames(capture):
    out = subprocess.run(["tshark", "-n", "-r", capture, "-Y",
                          "_ws.malformed || _ws.expert.severity >= error || _ws.expert.group == \"Malformed\"",
                          "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True).stdout
    return {int(x) for x in out.split()}

def main():
    args = sys.argv[1:]
    vectors = "--vectors" in args
    args = [a for a in args if a != "--vectors"]
    dfsguard, captures = args[0], args[1:]
    fields = [f for f, _ in EXACT + SUBSET]
    tally = collections.Counter()
    compared = collections.Counter()
    bad = 0
    for cap in captures:
        res = subprocess.run([dfsguard, "decode", cap], capture_output=True, text=True)
        if res.returncode not in (0, 1):
            print(f"{cap}: dfsguard decode failed: {res.stderr.strip()}")
            bad += 1
            continue
        ours = collections.defaultdict(list)
        for line in res.stdout.splitlines():
            u = json.loads(line)
            ours[u["frame"]].append(u)
        theirs = tshark_rows(cap, fields)
        malformed = malformed_frames(cap)
        for frame in sorted(malformed):
            if vectors:  # a capture we did not write: tshark's own complaints are not ours
                print(f"{cap}:{frame}: (tshark reports a malformed frame in the input)")
                continue
            print(f"{cap}:{frame}: tshark reports a malformed frame")
            bad += 1
        for frame, units in sorted(ours.items()):
            for u in units:
                if "error" in u and frame not in malformed:
                    print(f"{cap}:{frame}: dfsguard error {u['error']} on a frame tshark dissects")
                    bad += 1
            t = theirs.get(frame, {f: [] for f in fields})
            for f, get in EXACT:
                if t.get(f) is None:
                    continue  # tshark did not dissect this layer
                mine = sorted(norm(f, v) for u in units for v in get(u))
                other = sorted(t[f])
                compared[f] += len(other)
                if mine != other:
                    tally[f] += 1
                    bad += 1
                    print(f"{cap}:{frame}: {f}: dfsguard {mine} tshark {other}")
            for f, get in SUBSET:
                mine = [norm(f, v) for u in units for v in get(u)]
                compared[f] += len(mine)
                missing = [v for v in mine if v not in t[f]]
                if missing:
                    tally[f] += 1
                    bad += 1
                    print(f"{cap}:{frame}: {f}: dfsguard {missing} not in tshark {t[f]}")
    print("field                                  values  mismatching frames")
    for f in fields:
        print(f"{f:38s} {compared[f]:7d} {tally[f]:7d}")
    print(f"{bad} mismatches")
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())

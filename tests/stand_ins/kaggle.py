"""A stand-in for the `kaggle` CLI (tests put a `kaggle` wrapper around it first on PATH). It records every
call's arguments and replays the real CLI's outputs: the download of a zip, "Successfully submitted", the
submissions listing as CSV (kaggle 2.x columns), and its failures word for word (no credentials, 403,
no network, a cut download, the daily limit, a code competition).

Environment: KAGGLE_STAND_IN_DIR (its log and state), KAGGLE_STAND_IN (the mode, default ok),
KAGGLE_STAND_IN_ZIP (the zip a download delivers), KAGGLE_STAND_IN_SCORES (public scores given in submission
order once a submission is listed a second time)."""

import json
import os
import shutil
import sys
from pathlib import Path

AUTH_HELP = """Authentication required to call the Kaggle API.

First, you will need a Kaggle account. You can sign up at
  https://www.kaggle.com/account/login

Recommended: log in with OAuth via a web-based authorization flow.
No token to manage; credentials are cached locally for you.
    kaggle auth login
"""
FORBIDDEN = """403 Client Error: Forbidden for url: https://www.kaggle.com/api/v1/competitions/data/download-all/{slug}

You don't have access to this resource.
If this is a competition, you may need to accept its rules first at
  https://www.kaggle.com/competitions/<competition>/rules
"""
OFFLINE = ("ConnectionError: HTTPSConnectionPool(host='www.kaggle.com', port=443): Max retries exceeded with url: "
           "/api/i/competitions.CompetitionApiService/ListCompetitions (Caused by NameResolutionError(\"<urllib3."
           "connection.HTTPSConnection object at 0x7f>: Failed to resolve 'www.kaggle.com' ([Errno -3] Temporary "
           "failure in name resolution)\"))\n")
LIMIT = ("400 Client Error: Bad Request for url: https://www.kaggle.com/api/v1/competitions/submissions/submit/{slug}"
         "\nSubmission not allowed:  Your team has used its daily Submission allowance (5) today, please try again "
         "tomorrow UTC (7.1 hours from now).\n")
CODE = ("400 Client Error: Bad Request for url: https://www.kaggle.com/api/v1/competitions/submissions/submit/{slug}"
        "\nThis competition only accepts submissions from notebooks (a code competition).\n")


def main(argv):
    folder = Path(os.environ["KAGGLE_STAND_IN_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "calls.jsonl", "a") as f:
        f.write(json.dumps(argv) + "\n")
    mode = os.environ.get("KAGGLE_STAND_IN", "ok")
    opts = {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("-")}
    slug = opts.get("-c", "")
    if mode == "noauth":
        print(AUTH_HELP)
        return 1
    if mode == "offline":
        sys.stderr.write(OFFLINE)
        return 1
    if mode == "forbidden":
        sys.stderr.write(FORBIDDEN.format(slug=slug))
        return 1
    state_file = folder / "state.json"
    state = json.loads(state_file.read_text()) if state_file.is_file() else {"submissions": []}
    command = argv[:2]
    if command == ["competitions", "download"]:
        dest = Path(opts["-p"]) / f"{slug}.zip"
        print(f"Downloading {slug}.zip to {opts['-p']}")
        if mode == "cut":
            data = Path(os.environ["KAGGLE_STAND_IN_ZIP"]).read_bytes()
            dest.write_bytes(data[: len(data) // 3])
            sys.stderr.write("ConnectionError: ('Connection broken: IncompleteRead(1024 bytes read, 4096 more "
                             "expected)', IncompleteRead(1024 bytes read, 4096 more expected))\n")
            return 1
        shutil.copyfile(os.environ["KAGGLE_STAND_IN_ZIP"], dest)
        print("100%|##########| 1.00M/1.00M [00:00<00:00, 10.0MB/s]")
        return 0
    if command == ["competitions", "submit"]:
        if mode == "limit":
            sys.stderr.write(LIMIT.format(slug=slug))
            return 1
        if mode == "code":
            sys.stderr.write(CODE.format(slug=slug))
            return 1
        n = len(state["submissions"])
        state["submissions"].append({"ref": 50000000 + n, "fileName": Path(opts["-f"]).name,
                                     "date": f"2026-12-02 10:{n:02d}:00", "description": opts["-m"], "listed": 0})
        state_file.write_text(json.dumps(state))
        print("100%|##########| 5.00k/5.00k [00:00<00:00, 20.0kB/s]")
        print("Successfully submitted to House Prices - Advanced Regression Techniques")
        return 0
    if command == ["competitions", "submissions"]:
        scores = [s for s in os.environ.get("KAGGLE_STAND_IN_SCORES", "").split(",") if s]
        print("ref,fileName,date,description,status,publicScore,privateScore")
        print("49999999,by_hand.csv,2026-12-01 09:00:00,my notebook submission,SubmissionStatus.COMPLETE,0.13000,")
        for i, s in enumerate(reversed(state["submissions"])):
            k = len(state["submissions"]) - 1 - i
            s["listed"] += 1
            done = s["listed"] > 1 and k < len(scores)
            status = "SubmissionStatus.COMPLETE" if done else "SubmissionStatus.PENDING"
            desc = s["description"].replace('"', '""')
            print(f"{s['ref']},{s['fileName']},{s['date']},\"{desc}\",{status},{scores[k] if done else ''},")
        state_file.write_text(json.dumps(state))
        return 0
    sys.stderr.write(f"usage: kaggle ... (the stand-in does not know {' '.join(argv[:2])})\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

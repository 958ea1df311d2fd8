# Runs the real PostHog Python client against the collector for
# tests/tests/posthog_clients.rs and prints one JSON report on stdout.
#
#   $HUSH_TEST_PYTHON python_client.py '{"host": "http://127.0.0.1:PORT", "token": "phc_...", "n": 20, "email": "..."}'
#
# HUSH_TEST_PYTHON is the venv scripts/test makes with requirements.txt: posthog 6 or 7,
# whose capture takes the event first and `distinct_id=` as a keyword (5 and older took the
# distinct id first).
#
# The report: the client's version, the uuids it captured, what feature_enabled and
# get_all_flags returned, what it logged at WARNING and above, the errors it reported.
import json, logging, sys, uuid
from posthog import Posthog
from posthog.version import VERSION

options = json.loads(sys.argv[1])
report = {"version": VERSION, "uuids": [], "logged": [], "errors": [], "all_flags": None,
          "enabled": None, "error": None}

class Keep(logging.Handler):
    def emit(self, record):
        report["logged"].append({"level": record.levelname, "text": record.getMessage()})

log = logging.getLogger("posthog")
log.addHandler(Keep())
log.setLevel(logging.WARNING)

client = Posthog(options["token"], host=options["host"], gzip=True, flush_at=10,
                 max_retries=1, feature_flags_request_timeout_seconds=10,
                 on_error=lambda error, batch: report["errors"].append(str(error)))
try:
    for i in range(options["n"]):
        u = str(uuid.uuid4())
        report["uuids"].append(u)
        client.capture("setup_failed" if i % 2 else "setup_completed",
                       distinct_id="py-user-%d" % i, uuid=u,
                       properties={"$telemetry_level": "basic", "app_version": "2.0.0",
                                   "note": "owner " + options["email"]})
    report["enabled"] = client.feature_enabled("new-onboarding", "py-user-0")
    report["all_flags"] = client.get_all_flags("py-user-0")
    client.flush()
except Exception as error:
    report["error"] = repr(error)
finally:
    client.shutdown()
print(json.dumps(report))

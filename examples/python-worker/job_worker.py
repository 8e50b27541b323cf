"""A reference AsyncHttpApi worker in Python (boto3), written from docs/protocols.md only.

It speaks the job protocol that the TypeScript `jobWorker` helper speaks, so a Python team can
deploy its own worker function (any Python Lambda runtime, boto3 as the runtime provides it) and
take part without the TypeScript helpers:

    from job_worker import job_worker

    def render(job):
        return {"url": make_report(job["payload"])}

    handler = job_worker(render)

For each SQS record (an event source mapping with ReportBatchItemFailures) it takes the job's
lease, runs the function while a heartbeat extends the lease and the message's visibility, and
records SUCCEEDED with the result or, on the last receive, FAILED; it reports the records to retry
as batch item failures.
"""
import json
import os
import sys
import threading
import time
import uuid

import boto3
from botocore.exceptions import ClientError

MAX_RESULT_BYTES = 350_000
LEASE_SECONDS = 60
HEARTBEAT_SECONDS = 20
MAX_VISIBILITY_SECONDS = 43_200
COMPLETION_EVENT_SOURCE = "cdk-serverless-patterns.async-http-api"


def _client(service):
    # boto3 >= 1.28 reads AWS_ENDPOINT_URL_<SERVICE> itself; older ones (Debian's) are told here.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_" + service.upper()) or os.environ.get("AWS_ENDPOINT_URL")
    return boto3.client(service, endpoint_url=endpoint)


def _now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _condition_failed(error):
    return isinstance(error, ClientError) and error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _error_of(exc):
    return {"M": {"name": {"S": type(exc).__name__[:200]}, "message": {"S": str(exc)[:4000]}}}


def _to_attr(value):
    """A JSON value as a DynamoDB attribute value (what the TypeScript DocumentClient writes)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [_to_attr(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: _to_attr(v) for k, v in value.items()}}
    raise TypeError("the job result is not JSON: %r" % (value,))


class _Store:
    def __init__(self, table):
        self.table = table
        self.ddb = _client("dynamodb")

    def acquire(self, job_id, token, lease_until_ms):
        """PENDING, or RUNNING with an expired lease -> RUNNING held by `token`."""
        now = _now_iso()
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key={"jobId": {"S": job_id}},
                UpdateExpression="SET #status = :running, updatedAt = :now, startedAt = if_not_exists(startedAt, :now), "
                "leaseToken = :token, leaseExpiresAt = :until ADD attempts :one",
                ConditionExpression="attribute_exists(jobId) AND (#status = :pending OR (#status = :running AND "
                "(attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt <= :nowMs)))",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":running": {"S": "RUNNING"}, ":pending": {"S": "PENDING"}, ":now": {"S": now},
                    ":nowMs": {"N": str(int(time.time() * 1000))}, ":token": {"S": token},
                    ":until": {"N": str(lease_until_ms)}, ":one": {"N": "1"},
                },
            )
            return ("acquired", None)
        except ClientError as error:
            if not _condition_failed(error):
                raise
        item = self.ddb.get_item(TableName=self.table, Key={"jobId": {"S": job_id}}, ConsistentRead=True).get("Item")
        if item is None:
            return ("unknown", None)
        status = item["status"]["S"]
        if status in ("SUCCEEDED", "FAILED"):
            return ("finished", status)
        until = int(item.get("leaseExpiresAt", {"N": str(int(time.time() * 1000))})["N"])
        return ("busy", (until, item.get("leaseToken", {}).get("S")))

    def _conditional(self, job_id, token, update, names, values):
        values = dict(values, **{":running": {"S": "RUNNING"}, ":token": {"S": token}})
        try:
            self.ddb.update_item(
                TableName=self.table, Key={"jobId": {"S": job_id}}, UpdateExpression=update,
                ConditionExpression="#status = :running AND leaseToken = :token",
                ExpressionAttributeNames=dict(names, **{"#status": "status"}), ExpressionAttributeValues=values,
            )
            return True
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise

    def extend(self, job_id, token, lease_until_ms):
        return self._conditional(job_id, token, "SET leaseExpiresAt = :until, updatedAt = :now", {},
                                 {":until": {"N": str(lease_until_ms)}, ":now": {"S": _now_iso()}})

    def release(self, job_id, token, exc):
        return self._conditional(job_id, token, "SET lastError = :error, updatedAt = :now REMOVE leaseExpiresAt, leaseToken", {},
                                 {":error": _error_of(exc), ":now": {"S": _now_iso()}})

    def finish(self, job_id, token, status, field, value):
        now = _now_iso()
        return self._conditional(
            job_id, token,
            "SET #status = :status, updatedAt = :now, finishedAt = :now, #field = :value REMOVE leaseExpiresAt, leaseToken",
            {"#field": field}, {":status": {"S": status}, ":now": {"S": now}, ":value": value},
        )


def _notify(detail_type, detail):
    bus = os.environ.get("COMPLETION_EVENT_BUS_NAME")
    topic = os.environ.get("COMPLETION_TOPIC_ARN")
    if bus:
        _client("events").put_events(Entries=[{
            "EventBusName": bus, "Source": COMPLETION_EVENT_SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail)}])
    if topic:
        _client("sns").publish(TopicArn=topic, Message=json.dumps(dict(detail, type=detail_type)),
                               MessageAttributes={"type": {"DataType": "String", "StringValue": detail_type}})


def _queue_url(record):
    _, partition, _, region, account, name = record["eventSourceARN"].split(":")
    configured = os.environ.get("JOBS_QUEUE_URL", "")
    if configured.endswith("/%s/%s" % (account, name)):
        return configured
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return "https://sqs.%s.%s/%s/%s" % (region, suffix, account, name)


class _Heartbeat:
    """Extends the lease and the message's visibility every HEARTBEAT_SECONDS until stopped."""

    def __init__(self, beat):
        self._beat = beat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                if not self._beat():
                    return
            except Exception:  # a failed beat is retried at the next one
                pass

    def stop(self):
        self._stop.set()


def job_worker(work):
    """Wraps `work(job) -> result` as the SQS handler of an AsyncHttpApi worker."""
    store = None
    sqs = None

    def handle(record, max_receive_count):
        message = json.loads(record["body"])
        job_id = message["jobId"]
        attempt = int(record["attributes"].get("ApproximateReceiveCount", "1"))
        is_last = attempt >= max_receive_count
        token = "%s/%s" % (record["messageId"], uuid.uuid4())
        queue_url = _queue_url(record)

        def set_visibility(seconds):
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"],
                                          VisibilityTimeout=max(0, min(MAX_VISIBILITY_SECONDS, int(seconds) + 1)))

        outcome, detail = store.acquire(job_id, token, int(time.time() * 1000) + LEASE_SECONDS * 1000)
        if outcome in ("unknown", "finished"):
            return True  # nothing to run: the message is deleted
        if outcome == "busy":
            until, holder = detail
            if holder is not None and not holder.startswith(record["messageId"] + "/"):
                return True  # another message of this job holds the lease and carries it: drop this one
            # An earlier delivery of this message holds a live lease: come back when it ends, not at
            # once (each receive counts towards maxReceiveCount). Should the delay fail, the retry
            # comes sooner.
            try:
                set_visibility(max(0, until / 1000 - time.time()))
            except Exception as error:
                print("could not delay the duplicate delivery of %s: %s" % (job_id, error), file=sys.stderr)
            return False

        def beat():
            until = int(time.time() * 1000) + LEASE_SECONDS * 1000
            if not store.extend(job_id, token, until):
                return False
            set_visibility(LEASE_SECONDS)
            return True

        heartbeat = _Heartbeat(beat)
        try:
            result = work({"jobId": job_id, "payload": message.get("payload"), "attempt": attempt, "isLastAttempt": is_last})
        except Exception as exc:
            heartbeat.stop()
            if is_last:
                if store.finish(job_id, token, "FAILED", "error", _error_of(exc)):
                    _notify("JobFailed", {"jobId": job_id, "error": {"name": type(exc).__name__, "message": str(exc)}})
            else:
                store.release(job_id, token, exc)
            return False
        heartbeat.stop()
        if len(json.dumps(result).encode("utf-8")) > MAX_RESULT_BYTES:
            too_large = ValueError("the job result is larger than %d bytes of JSON" % MAX_RESULT_BYTES)
            if store.finish(job_id, token, "FAILED", "error", _error_of(too_large)):
                _notify("JobFailed", {"jobId": job_id, "error": {"name": "ResultTooLargeError", "message": str(too_large)}})
            return True
        if store.finish(job_id, token, "SUCCEEDED", "result", _to_attr(result)):
            _notify("JobSucceeded", {"jobId": job_id})
        return True

    def handler(event, context):
        nonlocal store, sqs
        store = store or _Store(os.environ["JOBS_TABLE_NAME"])
        sqs = sqs or _client("sqs")
        max_receive_count = int(os.environ.get("MAX_RECEIVE_COUNT", "5"))
        failures = []
        for record in event.get("Records", []):
            try:
                ok = handle(record, max_receive_count)
            except Exception:
                ok = False
            if not ok:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    return handler

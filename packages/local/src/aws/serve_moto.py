"""Runs moto's server with DynamoDB requests handled one at a time.

moto's threaded server evaluates a DynamoDB condition and applies the write
without a lock, so two concurrent conditional writes can both succeed, which
real DynamoDB never allows (the lock race test caught it under load).
Serializing DynamoDB requests restores per-item atomicity; every other
service stays concurrent (SQS long polls must not block each other).
Arguments are moto.server's own (-H host -p port).
"""

import sys
import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_dynamodb = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _serialized(self, environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with _dynamodb:
            return list(_dispatch(self, environ, start_response))
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _serialized

if __name__ == "__main__":
    server.main(sys.argv[1:])

"""Runs moto's server with two fixes for the local stack.

1. DynamoDB requests are handled one at a time. moto's threaded server
   evaluates a DynamoDB condition and applies the write without a lock, so
   two concurrent conditional writes can both succeed, which real DynamoDB
   never allows (the lock race test caught it under load). Serializing
   DynamoDB requests restores per-item atomicity; every other service stays
   concurrent (SQS long polls must not block each other).

2. An EC2 resource's tags are read from its own entry. moto 5.2.5 finds one
   instance's tags by scanning every tag of every resource with a regex
   (TaggedEC2Resource.get_tags -> describe_tags(resource-id)), and a
   DescribeInstances with a tag filter does that once per instance and again
   per instance it returns: quadratic in the instances moto has ever held,
   terminated ones included (it never forgets them; EC2 does after about an
   hour). A 60-minute chaos soak launches ~150 workers; by its second half
   the moto process was on a whole core, most of it in that scan (py-spy),
   and every service's AWS calls queued behind it. The lookup below returns
   the same list (same keys, values and resource type) from the dict moto
   keeps per resource id; test/aws tag-lookup test compares it with
   DescribeTags, which still takes moto's own path.

3. With SMARTSCALE_MOTO_TERMINATED_TTL_SECONDS set, a terminated instance is
   forgotten that many seconds after moto was first seen holding it so, as
   EC2 forgets one after about an hour. The local stack sets it from its
   time scale (3600 s / speed: 60 s at 60x), so what the reconciler lists in
   a 60-minute soak stays the size it would be in EC2, instead of every
   instance the hour ever launched. EC2 requests are served one at a time
   so the forgetting never races a request that is walking the instances.

Arguments are moto.server's own (-H host -p port).
"""

import os
import sys
import threading
import time

from moto import server
from moto.ec2.models import ec2_backends
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_dynamodb = threading.Lock()
_ec2 = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__
_TERMINATED_TTL = float(os.environ.get("SMARTSCALE_MOTO_TERMINATED_TTL_SECONDS") or 0)
_terminated_since: dict[str, float] = {}


def _forget_terminated() -> None:
    """Drops instances terminated longer than the TTL, with their tags."""
    now = time.monotonic()
    for account in dict.values(ec2_backends):
        for backend in dict.values(account):
            for reservation_id, reservation in list(backend.reservations.items()):
                for instance in list(reservation.instances):
                    if instance._state.name != "terminated":
                        continue
                    since = _terminated_since.setdefault(instance.id, now)
                    if now - since >= _TERMINATED_TTL:
                        reservation.instances.remove(instance)
                        backend.tags.pop(instance.id, None)
                        _terminated_since.pop(instance.id, None)
                if not reservation.instances:
                    del backend.reservations[reservation_id]


def _is_ec2(environ) -> bool:
    return "/ec2/aws4_request" in environ.get("HTTP_AUTHORIZATION", "")


def _serialized(self, environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with _dynamodb:
            return list(_dispatch(self, environ, start_response))
    if _TERMINATED_TTL > 0 and _is_ec2(environ):
        with _ec2:
            _forget_terminated()
            return list(_dispatch(self, environ, start_response))
    return _dispatch(self, environ, start_response)


def _own_tags(self):
    resource_id = getattr(self, "id", None)
    if not resource_id:
        return []
    tags = dict(self.ec2_backend.tags.get(resource_id, {}))
    resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
    return [
        {"resource_id": resource_id, "key": k, "value": v, "resource_type": resource_type}
        for k, v in tags.items()
    ]


DomainDispatcherApplication.__call__ = _serialized
TaggedEC2Resource.get_tags = _own_tags

if __name__ == "__main__":
    server.main(sys.argv[1:])

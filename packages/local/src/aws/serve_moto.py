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

Arguments are moto.server's own (-H host -p port).
"""

import sys
import threading

from moto import server
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_dynamodb = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _serialized(self, environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with _dynamodb:
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

"""What a request's Signature Version 4 says of itself: its region and its service.

Every AWS SDK signs with `Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`
(https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html); the stand-in reads
the credential scope and checks no signature.
"""

import re


def region_of(environ):
    """The credential scope's region; us-east-1 for an unsigned request."""
    match = re.search(r"Credential=[^/]+/\d+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "us-east-1"


def service_of(environ):
    """The credential scope's service (signing name: codedeploy, lambda, monitoring, ...); "" unsigned."""
    match = re.search(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else ""

"""An S3-compatible server (moto in server mode) for the whole session, one bucket a test."""

import logging
import uuid

import pytest

REGION = "eu-west-1"  # s3fs cannot create buckets in us-east-1 (it sends a LocationConstraint)


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a moto S3 server on a free local port, with fake credentials in the
    environment (set before any client exists, unset again after the session)."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            patch.delenv(name, raising=False)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="session")
def credentials(s3_endpoint) -> dict:
    """What a catalog entry's `credentials` hold for the server (as in credentials.yml)."""
    return {
        "key": "testing",
        "secret": "testing",
        "endpoint_url": s3_endpoint,
        "client_kwargs": {"region_name": REGION},
    }


@pytest.fixture
def bucket(credentials) -> str:
    """``s3://<a new, empty bucket>``."""
    import s3fs

    name = f"test-{uuid.uuid4().hex[:12]}"
    s3fs.S3FileSystem(**credentials).mkdir(name)
    return f"s3://{name}"


@pytest.fixture
def store(credentials):
    """An s3fs file system on the server, to look at objects behind the datasets' backs."""
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True, **credentials)


def objects(store, url: str) -> dict[str, bytes]:
    """Every object below ``url`` and its bytes."""
    root = url.removeprefix("s3://")
    store.invalidate_cache()
    return {key: store.cat_file(key) for key in store.find(root)}

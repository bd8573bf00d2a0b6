from tests.playground.fixtures import playground_server

__all__ = ["playground_server"]

"""The application layer's suites: issuing an invoice runs on the billing suite's organization."""

from tests.billing.conftest import billing  # noqa: F401 - a fixture, requested by name

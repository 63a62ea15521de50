"""SIP test phones for the integration tests (PJSUA2 agents driven from pytest)."""

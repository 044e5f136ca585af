"""Call flows: the pay-by-phone state machine as pure Python (no Flask, no Twilio)."""

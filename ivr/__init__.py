"""The HTTP and TwiML layer, gateways, SMS, operator commands and the call simulator."""

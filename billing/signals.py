from django.dispatch import Signal

# Sent (with `account`) when a live balance falls below 10 % of the plan's
# monthly credits, once per period; webhooks turn it into a `credits.low` event.
credits_low = Signal()

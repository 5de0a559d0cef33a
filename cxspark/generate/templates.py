"""Sentence templates for agent notes, chat messages, ticket text, web forms and verbatims.

Placeholders in braces are filled by :mod:`cxspark.generate.text`; PII placeholders are
recorded as ground-truth spans: ``{name}`` ``{first}`` ``{other_name}`` ``{agent}``
(PERSON), ``{email}`` (EMAIL_ADDRESS), ``{phone}`` ``{other_phone}`` (PHONE_NUMBER),
``{card}`` (CREDIT_CARD), ``{iban}`` (IBAN_CODE), ``{address}`` (STREET_ADDRESS),
``{account}`` (ACCOUNT_NUMBER), ``{city}`` (LOCATION).  Other placeholders (``{amount}``,
``{days}``, ``{topic}``, ``{company}``) are not PII.  No template contains a double quote,
a backslash or a line break, and literal text holds no names, places or identifier-like
numbers, so every PII string in generated text comes from a placeholder.

Example::

    >>> "{name}" in CALL_OPENINGS[1]
    True
"""

from __future__ import annotations

__all__ = [
    "AGENT_CHAT_CARD_WARNING",
    "AGENT_CHAT_CLOSE",
    "AGENT_CHAT_OPEN",
    "AGENT_CHAT_REPLY",
    "AGENT_CHAT_SORRY",
    "AGENT_DETAIL",
    "BOT_MESSAGES",
    "CALL_CLOSINGS",
    "CALL_OPENINGS",
    "CALL_VERIFY",
    "CUSTOMER_PAYMENT",
    "CUSTOMER_PII",
    "CUSTOMER_VOICE",
    "NEGATIVE_TOPICS",
    "OUTBOUND_OPENINGS",
    "PAYMENT_TOPICS",
    "TICKET_NOTE_EXTRA",
    "TICKET_SUBJECTS",
    "TOPICS",
    "VERBATIMS",
    "WEB_FORMS",
]

TOPICS: dict[str, str] = {
    "signup": "new broadband order",
    "identity_verified": "ID check",
    "account_activated": "account activation",
    "welcome_call": "welcome call",
    "invoice_issued": "first bill",
    "document_resubmitted": "ID documents",
    "issue_reported": "broadband fault",
    "ticket_opened": "fault ticket",
    "troubleshooting": "ongoing fault",
    "fix_applied": "fault fix",
    "resolution_confirmed": "fault resolution",
    "ticket_closed": "fault ticket",
    "escalation": "escalated fault",
    "engineer_visit": "engineer visit",
    "bill_viewed": "latest bill",
    "dispute_raised": "disputed charge",
    "investigation": "billing dispute",
    "adjustment_issued": "bill credit",
    "dispute_closed": "billing dispute",
    "payment_plan_offered": "arrears",
    "cancel_requested": "cancellation",
    "retention_offer": "retention offer",
    "cancellation_confirmed": "cancellation",
    "final_bill_issued": "final bill",
    "callback_scheduled": "arranged callback",
    "complaint_logged": "complaint",
    "status_chased": "case progress",
    "general_enquiry": "general enquiry",
    "billing_query": "bill query",
}

CALL_OPENINGS = (
    "Cust called re {topic}",
    "Customer {name} called about {topic}",
    "Inbound call from {first} regarding {topic}",
    "Spoke with {name} re {topic}",
    "Call about {topic}",
    "Caller {name}, {topic}",
    "Cx rang in re {topic}",
)
OUTBOUND_OPENINGS = (
    "Outbound call to {name} re {topic}",
    "Called cust back re {topic}",
    "Rang {first} as arranged, {topic}",
    "OB call, {topic}",
)

CALL_VERIFY = (
    "DPA passed",
    "ID&V passed via DOB and postcode",
    "Verified via account {account}",
    "Confirmed address {address}",
    "Cust confirmed email {email}",
    "Callback number {phone}",
    "Verified caller, acct {account}, postcode on file",
    "Security check ok, mobile {phone}",
    "DPA failed first time then passed",
)

CALL_CLOSINGS = (
    "Advised 48h SLA",
    "Cust happy with outcome",
    "Cust unhappy with wait time",
    "Will call back on {phone}",
    "Sent summary to {email}",
    "Reference given",
    "Nothing further",
    "Cust asked for manager, declined",
    "Cust read out card {card} before I could stop them, advised not to share",
    "Cust wants refund to {iban}",
    "Wife {other_name} also on the call",
    "Cust says son {other_name} manages the account",
)

AGENT_DETAIL: dict[str, tuple[str, ...]] = {
    "signup": (
        "Took order for fibre 500 package",
        "Sold 12 month contract, router to be posted",
        "New connection booked",
    ),
    "identity_verified": (
        "ID documents checked and accepted",
        "Credit check passed",
        "Proof of address verified",
    ),
    "account_activated": (
        "Service activated on the line",
        "Account set to active",
        "Line provisioned, service live",
    ),
    "welcome_call": (
        "Welcome call done, explained app and billing dates",
        "Walked cust through first bill and direct debit",
        "Welcome call, cust had no questions",
    ),
    "issue_reported": (
        "No broadband since yesterday",
        "Router showing red light",
        "Intermittent drop-outs in the evening",
        "Speed far below what was sold",
        "Wifi keeps disconnecting upstairs",
        "No dial tone on landline",
    ),
    "ticket_opened": ("Ticket raised", "Logged for investigation", "Case created", "New ticket from contact"),
    "troubleshooting": (
        "Ran line test, fault found at exchange",
        "Rebooted router with cust, no change",
        "Checked for outages in area, none found",
        "Swapped filter, asked cust to monitor",
        "Remote reset of the port done",
        "Changed wifi channel, advised to test",
    ),
    "fix_applied": (
        "Port reset at exchange",
        "Replacement router dispatched",
        "Line fault repaired by openreach",
        "Firmware update pushed",
    ),
    "resolution_confirmed": (
        "Cust confirms service working again",
        "Speeds now as expected",
        "Cust confirmed fix, happy to close",
    ),
    "ticket_closed": ("Closing ticket", "Resolved, closing", "No further action, closed"),
    "escalation": ("Escalated to tier 2", "Passed to network team", "Escalated, outside first line remit"),
    "engineer_visit": (
        "Engineer visit booked",
        "Engineer appointment arranged, AM slot",
        "Field visit required",
    ),
    "bill_viewed": ("Cust viewed bill online",),
    "dispute_raised": (
        "Disputes charge of {amount} on last bill",
        "Says was charged twice this month",
        "Query on early termination fee",
        "Cust says discount not applied, {amount} overcharged",
    ),
    "investigation": (
        "Checked billing history",
        "Reviewed call charges",
        "Looked at usage records for the period",
        "Raised with billing ops",
    ),
    "adjustment_issued": (
        "Credit of {amount} applied",
        "Adjusted bill by {amount}",
        "Goodwill credit applied",
    ),
    "dispute_closed": (
        "Dispute resolved, closing",
        "Cust accepted credit, case closed",
        "Closed, no adjustment due",
    ),
    "payment_plan_offered": (
        "Offered 3 month payment plan",
        "Set up payment arrangement",
        "Discussed arrears, plan agreed",
    ),
    "cancel_requested": (
        "Wants to cancel, moving house",
        "Found cheaper deal elsewhere",
        "Wants to leave after repeated faults",
        "Cust moving to {city}, wants to cancel",
        "Cancel request, unhappy with price rise",
    ),
    "retention_offer": (
        "Offered 20% discount for 12 months",
        "Offered free speed upgrade",
        "Offered to waive exit fee",
        "Offered loyalty price",
    ),
    "cancellation_confirmed": (
        "Cancellation processed",
        "Account closed at cust request",
        "Cease order placed",
    ),
    "final_bill_issued": ("Final bill raised",),
    "callback_scheduled": ("Callback done as arranged", "Called back with update", "Returned cust call"),
    "complaint_logged": (
        "Formal complaint logged",
        "Complaint raised about service",
        "Cust wants to complain about handling",
    ),
    "status_chased": (
        "Cust chasing update on case",
        "Asked for progress on open case",
        "Third time cust has called for update",
    ),
    "general_enquiry": (
        "Asked about upgrade options",
        "Question about contract end date",
        "Asked how to change wifi password",
    ),
    "billing_query": (
        "Asked why bill higher this month",
        "Query on payment date",
        "Wanted copy of last bill",
    ),
    "document_resubmitted": ("New ID documents uploaded",),
}

CUSTOMER_VOICE: dict[str, tuple[str, ...]] = {
    "signup": (
        "I would like to sign up for fibre broadband",
        "Hi, I want to order the 500 package",
        "Can I switch to you from my current provider?",
    ),
    "document_resubmitted": ("Uploading a clearer copy of my passport", "Here is my new proof of address"),
    "issue_reported": (
        "My internet has been down since this morning",
        "The router light is flashing red",
        "My broadband keeps dropping out every evening",
        "Speeds are really slow, much less than promised",
        "I have no dial tone on my phone line",
    ),
    "resolution_confirmed": (
        "It is all working now, thanks",
        "Confirming the fix worked",
        "Speeds are back to normal",
    ),
    "dispute_raised": (
        "I have been charged twice this month",
        "My bill is {amount} more than it should be",
        "Why was I charged an exit fee?",
        "The discount I was promised is not on my bill",
    ),
    "cancel_requested": (
        "I want to cancel my contract",
        "I am moving to {city} and need to cancel",
        "Please close my account, I have found a cheaper deal",
        "I would like to leave, the service has been poor",
    ),
    "retention_offer": ("What can you offer me to stay?", "OK I will think about the offer"),
    "complaint_logged": (
        "I want to make a formal complaint",
        "This is the third time I have had to contact you",
        "Nobody has called me back as promised",
    ),
    "status_chased": (
        "Any update on my case?",
        "I am still waiting to hear back",
        "Chasing the fault I reported last week",
    ),
}

CUSTOMER_PII = (
    "My name is {name}",
    "It is {name} here",
    "My account number is {account}",
    "Account {account}",
    "You can call me on {phone}",
    "My number is {phone}",
    "My email is {email}",
    "Please email me at {email}",
    "I live at {address}",
    "The address is {address}",
    "My partner {other_name} usually deals with the bills",
    "Or call my husband on {other_phone}",
)
CUSTOMER_PAYMENT = (
    "I paid with my card {card}",
    "Card number {card}, can you check the payment?",
    "Please refund to my account {iban}",
    "My bank details are {iban}",
)
PAYMENT_TOPICS = frozenset(
    {"dispute_raised", "cancel_requested", "complaint_logged", "status_chased", "signup"}
)
NEGATIVE_TOPICS = frozenset(
    {"issue_reported", "dispute_raised", "cancel_requested", "complaint_logged", "status_chased"}
)

AGENT_CHAT_OPEN = (
    "Hi, you are chatting with {agent}. How can I help today?",
    "Hello, {agent} here from {company}. What can I do for you?",
    "Hi there, thanks for waiting. How can I help?",
    "Good afternoon, my name is {agent}, how can I help?",
)
AGENT_CHAT_REPLY = (
    "Thanks, let me check that for you.",
    "I can see the account, one moment please.",
    "Could you confirm the account number please?",
    "I have updated the case with those details.",
    "Thanks for your patience.",
)
AGENT_CHAT_SORRY = "I am sorry to hear that, let me look into it."
AGENT_CHAT_CARD_WARNING = "Please do not share full card details in chat."
AGENT_CHAT_CLOSE = (
    "Is there anything else I can help with?",
    "Thanks for contacting {company}, have a good day.",
    "I will transfer you to the right team now.",
    "You will get an email confirmation shortly.",
)
BOT_MESSAGES = (
    "You are now chatting with our virtual assistant.",
    "Please wait while we connect you to an agent.",
    "An agent will be with you shortly.",
)

TICKET_SUBJECTS: dict[str, tuple[str, ...]] = {
    "technical_support": (
        "No internet connection",
        "Broadband fault - {name}",
        "Slow speeds reported",
        "Intermittent connection",
        "Fault on account {account}",
        "Router fault",
    ),
    "billing": (
        "Billing dispute",
        "Disputed charge - {account}",
        "Overcharge complaint from {name}",
        "Refund request",
        "Double charge",
    ),
    "retention": ("Cancellation request", "Cancel - {name}", "Account closure {account}"),
    "onboarding": ("New customer setup", "Activation for {name}", "ID verification", "New order {account}"),
    "customer_service": ("Customer query", "Callback request", "Complaint - {name}"),
}

TICKET_NOTE_EXTRA = (
    "Customer emailed from {email}",
    "Contact number {phone}",
    "Install address {address}",
    "Cust provided bank details {iban} for refund",
    "Card used for payment {card}",
    "Account holder {name}",
    "Spoke to {other_name} on behalf of account holder",
    "Linked account {account}",
    "Best number to reach cust is {phone}",
)

WEB_FORMS = (
    "Name: {name}; Email: {email}; Phone: {phone}; Message: {voice}",
    "Name: {name}; Account: {account}; Message: {voice}",
    "{voice} - please call me on {phone}",
    "{voice} - my account is {account}",
    "{voice}",
    "{voice}",
    "Email: {email}; Message: {voice}",
)

VERBATIMS: dict[str, tuple[str, ...]] = {
    "negative": (
        "Took three calls to get this sorted",
        "Nobody called me back as promised",
        "Still not fixed properly",
        "Far too long to resolve, I am thinking of leaving",
        "I had to explain the problem again every time",
        "Terrible service, call me on {phone} if you actually care",
        "Agent {agent} was not helpful at all",
        "I was passed from team to team",
        "Promised a credit that never arrived on account {account}",
        "My wife {other_name} spent hours on hold",
        "Waited days for an engineer",
        "Please stop emailing {email}",
    ),
    "neutral": (
        "It was ok in the end",
        "Sorted eventually",
        "Fine, nothing special",
        "Average experience",
    ),
    "positive": (
        "Quick and easy, thanks",
        "{agent} was really helpful",
        "Sorted first time, great service",
        "Very happy with how this was handled",
        "Friendly and efficient",
        "Problem fixed quickly, thank you",
        "Thanks {agent}, you were brilliant",
    ),
}

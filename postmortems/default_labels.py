"""The default postmortem templates' names, descriptions and guidance (created by
postmortems/migrations/0002_default_templates_and_phrases.py), marked here so that the
translations catalog has them: PostmortemTemplate shows them in the reader's language. A
template renamed or written in the admin is shown as typed."""

from django.utils.translation import gettext_noop

DEFAULT_TEMPLATE_TEXT = (
    gettext_noop("Standard blameless review"),
    gettext_noop("Every section, with prompts that ask how, not who."),
    gettext_noop("In two or three sentences: what happened, how long it lasted, who was affected."),
    gettext_noop(
        "Customers and internal teams affected; numbers where you have them (errors, orders, minutes)."
    ),
    gettext_noop(
        "Walk through the timeline below: how was it detected, which leads were followed (blind alleys too), what turned it around?"
    ),
    gettext_noop(
        "How did the system behave, and how did the people responding see it at the time? Ask 'how', not 'who'."
    ),
    gettext_noop(
        "What did we believe that turned out to be wrong? Why was it reasonable to believe it then?"
    ),
    gettext_noop(
        "Conditions that made this possible or worse: tooling, alerts, documentation, load, timing."
    ),
    gettext_noop("What helped?"),
    gettext_noop("What made detection, diagnosis or recovery harder?"),
    gettext_noop("What saved us that we cannot count on next time?"),
    gettext_noop(
        "What will make this less likely or less harmful? Track each as an action item with an owner and a due date."
    ),
    gettext_noop("What should other teams take away?"),
    gettext_noop("Short review"),
    gettext_noop("For minor incidents (SEV3–SEV4): four short sections."),
    gettext_noop("What happened and how it was fixed, in a few sentences."),
    gettext_noop("Who noticed, and for how long?"),
    gettext_noop("How did it happen?"),
    gettext_noop("Anything to change so it does not happen again?"),
    gettext_noop("SRE book example"),
    gettext_noop("Modelled on the example postmortem in Google's SRE book."),
    gettext_noop(
        "Status: complete, action items in progress  Summary:  one line: what broke, for how long"
    ),
    gettext_noop("Impact:  e.g. an estimated N queries lost, no revenue impact"),
    gettext_noop(
        "The timeline, in UTC, is below. Summarise the key moments: trigger, detection, escalation, mitigation, resolution."
    ),
    gettext_noop(
        "Root causes:  how the system got into this state  Trigger:  what set it off  Resolution:  what ended it  Detection:  how we found out"
    ),
    gettext_noop("What did the responders believe while it was happening?"),
    gettext_noop("Latent bugs, missing safeguards, overload conditions."),
    gettext_noop("e.g. monitoring quickly alerted us to the high error rate"),
    gettext_noop("e.g. we are out of practice at handling this kind of load"),
    gettext_noop("e.g. the on-call happened to know the right person"),
    gettext_noop("Action items (prevent / mitigate / process), each with an owner and a bug."),
    gettext_noop(
        "What went well, what went wrong, where we got lucky: what does it teach the next team?"
    ),
)

"""Words Hindsight's data migrations put in the database, marked here so that the translations
catalog has them and pages show them in the reader's language: the default postmortem
templates' names, descriptions and guidance (PostmortemTemplate), and the default
blameless-language hints' suggestions (postmortems.blameless). What someone types in the
admin has no translation and is shown as typed."""

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

# Migrations 0002 (English phrases) and 0011 (French phrases) share these suggestions.
DEFAULT_PHRASE_SUGGESTIONS = (
    gettext_noop("Describe how the system let this happen, not whose fault it was."),
    gettext_noop("Say what made the mistake easy to make and hard to notice."),
    gettext_noop(
        "Describe the conditions (time pressure, unclear tooling) that led to the action."
    ),
    gettext_noop(
        "Hindsight is clearer than foresight: describe what was known then, and what would help next time."
    ),
    gettext_noop("Describe what made the action seem right at the time."),
    gettext_noop("Say what happened instead and what would have made the other step easier."),
    gettext_noop("It was not obvious then; explain what would have made it visible."),
    gettext_noop("Describe the gaps in process or tooling rather than judging a person."),
    gettext_noop("Focus on how it happened, not on who is to blame."),
    gettext_noop("Describe what knowledge or support was missing."),
    gettext_noop("If it were that simple it would have happened; describe what made it hard."),
    gettext_noop("Avoid implying the fix was easy; explain what it took."),
    gettext_noop("Describe why the step was skipped: time, tooling, unclear expectations."),
    gettext_noop("Describe the mistake and what made it easy to make."),
)

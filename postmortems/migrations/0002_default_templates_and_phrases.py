from django.db import migrations

STANDARD = {
    "summary": "<!-- In two or three sentences: what happened, how long it lasted, who was affected. -->\n",
    "impact": "<!-- Customers and internal teams affected; numbers where you have them (errors, "
    "orders, minutes). -->\n",
    "timeline_narrative": "<!-- Walk through the timeline below: how was it detected, which leads "
    "were followed (blind alleys too), what turned it around? -->\n",
    "what_happened": "<!-- How did the system behave, and how did the people responding see it "
    "at the time? Ask 'how', not 'who'. -->\n",
    "assumptions": "<!-- What did we believe that turned out to be wrong? Why was it reasonable "
    "to believe it then? -->\n",
    "contributing_factors": "<!-- Conditions that made this possible or worse: tooling, "
    "alerts, documentation, load, timing. -->\n",
    "what_went_well": "<!-- What helped? -->\n",
    "what_went_wrong": "<!-- What made detection, diagnosis or recovery harder? -->\n",
    "where_we_got_lucky": "<!-- What saved us that we cannot count on next time? -->\n",
    "mitigations": "<!-- What will make this less likely or less harmful? Track each as an "
    "action item with an owner and a due date. -->\n",
    "lessons_learned": "<!-- What should other teams take away? -->\n",
}

SHORT = {
    "summary": "<!-- What happened and how it was fixed, in a few sentences. -->\n",
    "impact": "<!-- Who noticed, and for how long? -->\n",
    "what_happened": "<!-- How did it happen? -->\n",
    "mitigations": "<!-- Anything to change so it does not happen again? -->\n",
}

# Modelled on the example postmortem in Google's "Site Reliability Engineering" book (2016).
SRE_BOOK = {
    "summary": "**Status:** complete, action items in progress\n\n"
    "**Summary:** <!-- one line: what broke, for how long -->\n",
    "impact": "**Impact:** <!-- e.g. an estimated N queries lost, no revenue impact -->\n",
    "timeline_narrative": "<!-- The timeline, in UTC, is below. Summarise the key moments: "
    "trigger, detection, escalation, mitigation, resolution. -->\n",
    "what_happened": "**Root causes:** <!-- how the system got into this state -->\n\n"
    "**Trigger:** <!-- what set it off -->\n\n**Resolution:** <!-- what ended it -->\n\n"
    "**Detection:** <!-- how we found out -->\n",
    "assumptions": "<!-- What did the responders believe while it was happening? -->\n",
    "contributing_factors": "<!-- Latent bugs, missing safeguards, overload conditions. -->\n",
    "what_went_well": "* <!-- e.g. monitoring quickly alerted us to the high error rate -->\n",
    "what_went_wrong": "* <!-- e.g. we are out of practice at handling this kind of load -->\n",
    "where_we_got_lucky": "* <!-- e.g. the on-call happened to know the right person -->\n",
    "mitigations": "<!-- Action items (prevent / mitigate / process), each with an owner and "
    "a bug. -->\n",
    "lessons_learned": "<!-- What went well, what went wrong, where we got lucky: what does it "
    "teach the next team? -->\n",
}

TEMPLATES = [
    ("Standard blameless review", "Every section, with prompts that ask how, not who.", STANDARD),
    ("Short review", "For minor incidents (SEV3–SEV4): four short sections.", SHORT),
    ("SRE book example", "Modelled on the example postmortem in Google's SRE book.", SRE_BOOK),
]

PHRASES = [
    (r"\b[\w-]+'s fault\b", "Bob's fault", "Describe how the system let this happen, not whose fault it was."),
    (r"\bhuman error\b", "human error", "Say what made the mistake easy to make and hard to notice."),
    (r"\bcareless(ly|ness)?\b", "careless", "Describe the conditions (time pressure, unclear tooling) that led to the action."),
    (r"\bshould have\b", "should have", "Hindsight is clearer than foresight: describe what was known then, and what would help next time."),
    (r"\bshouldn't have\b", "shouldn't have", "Describe what made the action seem right at the time."),
    (r"\bfailed to\b", "failed to", "Say what happened instead and what would have made the other step easier."),
    (r"\bobvious(ly)?\b", "obviously", "It was not obvious then; explain what would have made it visible."),
    (r"\bnegligen(t|ce)\b", "negligent", "Describe the gaps in process or tooling rather than judging a person."),
    (r"\bblame[sd]?\b", "to blame", "Focus on how it happened, not on who is to blame."),
    (r"\bincompeten(t|ce)\b", "incompetent", "Describe what knowledge or support was missing."),
    (r"\bjust (had to|needed to)\b", "just had to", "If it were that simple it would have happened; describe what made it hard."),
    (r"\bsimply\b", "simply", "Avoid implying the fix was easy; explain what it took."),
    (r"\bdidn't bother\b", "didn't bother", "Describe why the step was skipped: time, tooling, unclear expectations."),
    (r"\b(stupid|dumb|silly) (mistake|error)\b", "stupid mistake", "Describe the mistake and what made it easy to make."),
]  # fmt: skip


def create_defaults(apps, schema_editor):
    PostmortemTemplate = apps.get_model("postmortems", "PostmortemTemplate")
    BlamelessPhrase = apps.get_model("postmortems", "BlamelessPhrase")
    for position, (name, description, prompts) in enumerate(TEMPLATES):
        PostmortemTemplate.objects.get_or_create(
            name=name,
            defaults={"description": description, "prompts": prompts, "position": position},
        )
    for pattern, example, suggestion in PHRASES:
        BlamelessPhrase.objects.get_or_create(
            pattern=pattern, defaults={"example": example, "suggestion": suggestion}
        )


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0001_initial_postmortems")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

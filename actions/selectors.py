def postmortem_action_items(postmortem):
    """Placeholder until the action items issue lands: the postmortem page's action items."""
    return []

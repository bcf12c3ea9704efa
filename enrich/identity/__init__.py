"""Which profiles are one person: keys, scores, links and the links users made."""

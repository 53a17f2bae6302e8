"""Replies: approved texts per intent, language and platform; acknowledgements; away messages.

``_template`` parses and renders the texts (data, never code), ``_phrases`` words the times
with CLDR data (Babel), ``_book`` holds `ReplyBook` and `Reply`, and ``_acknowledge`` builds
the instant acknowledgement and the away message from a service window or an SLA policy.
"""

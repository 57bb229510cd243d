"""A program's intake: settings, applications, requests, suggestions, bulk matching.

types.py holds the object types every part shows; enrolment.py the intake's
settings and applications (and the `intake` query); mentor_requests.py mentees'
requests to mentors; matching.py match suggestions and bulk matching.
"""

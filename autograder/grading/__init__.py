"""nbgrader plug-ins for this course: small preprocessors, one job each."""

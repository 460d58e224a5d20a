"""nbgrader settings for the goroutine-leak course (run nbgrader from this folder)."""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from autograder.grading.feedback import HideHiddenTests

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "goroutine-leaks"
# Student versions go to notebooks/, committed, so Binder and self-study need
# no build step.
c.CourseDirectory.release_directory = "notebooks"

# Each check bounds its own calls (a few seconds); this catches anything else.
c.Execute.timeout = 60
# A notebook whose learner code leaked a non-daemon thread cannot exit on its
# own: do not wait long before killing its kernel.
c.KernelManager.shutdown_wait_time = 0.5

# A test cell the learner deleted is put back and run.
c.OverwriteCells.add_missing_cells = True

# Feedback shows verdicts, not the hidden tests' code or assertion lines.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

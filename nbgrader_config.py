"""nbgrader settings for the goroutine-leak course (run nbgrader from this folder)."""

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput,
                                    DeduplicateIds, GetGrades, IgnorePattern, LimitOutput,
                                    OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

from autograder.grading.execute import ResilientExecute
from autograder.grading.feedback import HideHiddenTests
from autograder.grading.late import ShareOffPerDayLate
from autograder.grading.sanitize import DropMetadataWithoutGradeId, DropUnknownGradeIds
from autograder.grading.verify import StartVerification, VerifyOutsideKernel

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "goroutine-leaks"
# Student versions go to notebooks/, committed, so Binder and self-study need
# no build step.
c.CourseDirectory.release_directory = "notebooks"

# Autograding, hardened against submissions that hang, crash or cheat:
# the kernel runs under resource limits and a notebook is always graded up to
# the point where it failed; beside it, every test is checked again in a fresh
# process that imports the grader before the learner's code and repairs it
# before each test (a judge outside it confirms each test the kernel passed,
# once the kernel has run it). nbgrader's own steps follow.
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, DropMetadataWithoutGradeId, DropUnknownGradeIds,
    OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [
    StartVerification, ResilientExecute, VerifyOutsideKernel, IgnorePattern,
    ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
    CheckCellMetadata]

# Each check bounds its own calls (a few seconds); this catches anything else.
c.Execute.timeout = 30
# A notebook whose learner code leaked a non-daemon thread cannot exit on its
# own: do not wait long before killing its kernel.
c.KernelManager.shutdown_wait_time = 0.5

# A test cell the learner deleted is put back and run.
c.OverwriteCells.add_missing_cells = True

# Feedback shows verdicts, not the hidden tests' code or assertion lines.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# Late work: a tenth of what a notebook earned off per day (begun) past the
# assignment's due date (nbgrader db assignment add ID --duedate=...), never
# below zero; no due date, no penalty (autograder/grading/late.py).
c.AssignLatePenalties.plugin_class = ShareOffPerDayLate
c.ShareOffPerDayLate.share_per_day = 0.1

# Submissions downloaded from a learning-management system, as one zip in
# downloaded/<assignment>/archive/ (nbgrader zip_collect <assignment>, then
# make grade). Files named as Canvas names them: the student's login, LATE if
# it was, the LMS's user and submission numbers, then the file's own name
# (with -1, -2 for a re-upload): lovelaceada_LATE_1032_88121_01_leaky_consumer-1.ipynb.
# The login must be the student's id in the gradebook. Another LMS: change this.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)(?:_LATE)?_\d+_\d+_(?P<file_id>\d\d_[a-z_]+?)(?:-\d+)?\.ipynb$")
c.ZipCollectApp.strict = True  # a notebook the assignment does not have is skipped, and said

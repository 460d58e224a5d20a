# The course's commands. Each is idempotent and quick when nothing changed.
#   make lab        set up, then open the course in JupyterLab (a learner's)
#   make lab-instructor  the same, with nbgrader's instructor panels (Formgrader)
#   make test       set up, then lint and run every test
#   make test-fast  lint and the tests that run no nbgrader and no browser
#   make notebooks  regenerate notebooks/ (student versions) from text/ and source/
#   make go-recordings  record the Go programs' output, for learners without Go
#   make site       the course as a website, in _site/html/

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

LESSONS := $(notdir $(wildcard text/*))
SOURCES := $(foreach l,$(LESSONS),source/$(l)/$(l).ipynb)
RELEASED := $(foreach l,$(LESSONS),notebooks/$(l)/$(l).ipynb)

.PHONY: setup lab lab-instructor fresh test test-fast lint notebooks go-recordings clean

GO_BUILT := $(VENV)/.go-built

setup: $(STAMP) $(GO_BUILT)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

# The lessons run the book's Go programs: compile them once, not in a lesson.
$(GO_BUILT): $(STAMP) $(wildcard autograder/lessons/programs/*.go)
	$(BIN)/python -m autograder.lessons.go
	touch $@

# Jupyter refuses to run as root unless told; containers and CI often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# Learners work in their own copies (work/, which git ignores): notebooks/ is
# the course as published, and stays as it is. Their JupyterLab is Binder's:
# Validate, none of nbgrader's instructor panels (course_tools/learner_lab.py).
LEARNER_CONFIG := $(CURDIR)/$(VENV)/learner-jupyter
lab: setup
	$(BIN)/python -m course_tools.workspace prepare
	$(BIN)/python -m course_tools.learner_lab $(LEARNER_CONFIG) >/dev/null
	JUPYTER_CONFIG_PATH=$(LEARNER_CONFIG) $(BIN)/jupyter lab $(ALLOW_ROOT) --ServerApp.root_dir=$(CURDIR)/work $(CURDIR)/work/00_start_here/00_start_here.ipynb

# The instructor's JupyterLab, on the whole course directory: Formgrader,
# Create Assignment and the rest of nbgrader's panels.
lab-instructor: setup
	$(BIN)/jupyter lab $(ALLOW_ROOT) --ServerApp.root_dir=$(CURDIR)

# A clean copy of one lesson; yours is kept beside it:  make fresh LESSON=01_leaky_consumer
fresh: setup
	@test -n "$(LESSON)" || { echo "Which lesson? make fresh LESSON=01_leaky_consumer" >&2; exit 2; }
	$(BIN)/python -m course_tools.workspace fresh $(LESSON)

# A repository for the learners of a graded course: the student notebooks,
# the checks, the learner's tools, no answers (course_tools/student_edition.py).
#   make student-edition DEST=../course-for-learners
.PHONY: student-edition
student-edition: setup
	@test -n "$(DEST)" || { echo "Where? make student-edition DEST=../course-for-learners" >&2; exit 2; }
	$(BIN)/python -m course_tools.student_edition $(DEST)

# Every test, in four runs. First, one at a time, those that measure Go's
# speed and scheduling live, lesson 02's verdicts compared and the judge's
# view of the race test's hammering (marked alone).
# Then the browser tests (alone too), two at a time, each worker with a
# JupyterLab and a Chromium of its own: they mostly wait on notebooks running.
# Then, in 6 pytest-xdist workers (most tests wait on deadlines, kernels and
# timeouts more than they compute), those that time threads and sockets;
# then, in 3, those that grade whole corpora and classes with nbgrader
# (marked grading), which keep both cores busy. There a module or test class
# goes whole to one worker: each corpus is graded once. All runs run; any
# failing fails the target (5: nothing selected).
TEST_WORKERS ?= 3
TIMED_WORKERS ?= 6
BROWSER_WORKERS ?= 2
PYTEST_RUN = $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope \
  --no-loadscope-reorder $(PYTEST_ARGS)
test: setup sandbox lint
	@$(BIN)/python -m pytest -m "alone and not browser" $(PYTEST_ARGS); alone=$$?; \
	$(BIN)/python -m pytest -m "alone and browser" -n $(BROWSER_WORKERS) --dist load \
	  $(PYTEST_ARGS); browser=$$?; \
	$(BIN)/python -m pytest -m "not grading and not alone" -n $(TIMED_WORKERS) \
	  --dist loadscope $(PYTEST_ARGS); timed=$$?; \
	$(PYTEST_RUN) -m grading; graded=$$?; \
	for status in $$alone $$browser $$timed $$graded; do \
	  [ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status; done

# The loop to run while working: no real nbgrader runs, no browser, nothing
# marked slow. These tests mostly wait (deadlines, sandboxed subprocesses; the
# CPU is busy about half the time), so they run in three times as many workers
# as there are cores (6: about 100 s on 2 cores); then, one at a time, those
# marked alone, whose timing the others would disturb (lesson 02's judge
# confirming a right reader within 100 ms failed beside them): about 17 s,
# collected from the files that mark any.
FAST_WORKERS ?= 6
ALONE_FILES = $(shell grep -l "mark.alone" tests/test_*.py)
test-fast: setup lint
	$(BIN)/python -m pytest -m "not slow and not browser and not alone" -n $(FAST_WORKERS) $(PYTEST_ARGS); \
	parallel=$$?; $(BIN)/python -m pytest -m "alone and not slow and not browser" $(PYTEST_ARGS) \
	  $(ALONE_FILES); alone=$$?; [ $$parallel -eq 0 ] && [ $$alone -eq 0 ]

lint: setup
	$(BIN)/ruff check .

# Grading runs learner code sealed off by bubblewrap; root installs it here,
# anyone else is told how.
.PHONY: sandbox
sandbox:
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq bubblewrap; \
	  else echo "Grading needs bubblewrap: sudo apt-get install bubblewrap" >&2; fi; }

notebooks: setup $(RELEASED)

# The text form is what people edit and review; the source notebook follows it.
# Precious: make would otherwise delete a new lesson's source notebook as an
# intermediate file once its student version is built.
.PRECIOUS: $(SOURCES)
source/%.ipynb: text/%.md
	@mkdir -p $(dir $@)
	$(BIN)/python -m course_tools.build_notebooks source $<

notebooks/%.ipynb: source/%.ipynb $(wildcard autograder/grading/*.py) nbgrader_config.py
	$(BIN)/python -m course_tools.build_notebooks release $(firstword $(subst /, ,$*))

go-recordings: notebooks
	$(BIN)/python -m course_tools.go_recordings

# The environment and caches only: gradebook.db holds grades (manual ones too).
clean:
	rm -rf $(VENV) .venv-site _site .pytest_cache

# Deletes every grade of the class, manual ones included. On purpose only.
delete-gradebook:
	rm -f gradebook.db

# Grading a class (see README, "Grading a class").
#   make grade [ASSIGNMENTS="01_leaky_consumer ..."] [WORKERS=N]
#       autograde every submission in submitted/ in parallel, resumable;
#       then feedback, exports/grades.csv and exports/report.html
#   make grade SCHEDULER=tcp://host:8786
#       the same on the workers of a Dask cluster (README, "Grading on many machines")
#   make grade-demo [WORKERS=N]
#       the same on a scratch copy of the demo class (demo_class/)
.PHONY: grade grade-demo gradebook delete-gradebook

# The gradebook nbgrader autograde needs: every lesson added, once (make grade does it too).
gradebook: setup
	$(BIN)/python -m course_tools.gradebook_api $(ASSIGNMENTS)

grade: setup sandbox
	$(BIN)/python -m course_tools.batch $(ASSIGNMENTS) $(if $(WORKERS),--workers $(WORKERS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

grade-demo: setup sandbox
	$(BIN)/python -m course_tools.demo_class grade $(if $(WORKERS),--workers $(WORKERS)) $(if $(GRADE_DEMO_DIR),--into $(GRADE_DEMO_DIR))

# The course as a website (see README, "The course as a website"): every lesson
# executed and rendered with Jupyter Book, in _site/html/.
.PHONY: site
site: setup
	$(BIN)/python -m course_tools.site $(if $(SITE_DIR),--out $(SITE_DIR))

# What grading costs, and how it scales (see README, "Benchmarks").
#   make bench [BENCH_ARGS=--quick]
#       prints a table and writes benchmarks/results.json (~43 minutes on 2 cores)
.PHONY: bench

bench: setup
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

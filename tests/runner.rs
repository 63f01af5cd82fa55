//! The lesson runner, run as the learner runs it, on copies of the course (see `runner_support`).
//!
//! What the tests expect comes from the course's own files (the lessons and their titles in `course.toml`,
//! each lesson's steps in `tests/steps.rs`, its hints in `hints.md`), so they keep passing as lessons are
//! edited and added.
//! They never touch your exercises or your `.course-progress`: each runs the runner with `COURSE_ROOT` on
//! a copy and `COURSE_PROGRESS` on a file of its own, so they can run in parallel.

mod runner_support;

use std::fs;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use runner_support::{BUILDS, Exercise, QUICK, Sandbox, read};

/// A lesson as the tests expect the runner to show it, read from its files.
struct Expected {
    /// `01`
    label: String,
    /// `1`
    number: u32,
    /// `01-basic-client`
    folder: String,
    title: String,
    /// `(N, first line of the doc comment)` for each `fn step_N_...`, in order.
    steps: Vec<(u32, String)>,
}

impl Expected {
    fn of(folder: &Path) -> Expected {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let digits = name.split('-').next().unwrap();
        let number: u32 = digits.parse().unwrap();
        let root = folder.parent().and_then(Path::parent).unwrap();
        let title = entries(root)
            .into_iter()
            .find(|entry| root.join(field(entry, "folder")) == folder)
            .map(|entry| field(&entry, "title").to_string())
            .unwrap_or_else(|| name.clone());
        let steps_rs = read(&folder.join("tests/steps.rs"));
        let steps = steps_rs
            .lines()
            .filter_map(|line| {
                let rest = line.trim().strip_prefix("fn step_")?;
                let number: u32 = rest.split('_').next()?.parse().ok()?;
                let task = steps_rs
                    .lines()
                    .find_map(|line| line.strip_prefix(&format!("/// Step {number}: ")))
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                Some((number, task))
            })
            .collect();
        Expected {
            label: format!("{number:02}"),
            number,
            folder: name,
            title,
            steps,
        }
    }

    fn exercise(&self) -> String {
        format!("lessons/{}/src/exercise.rs", self.folder)
    }
}

/// The `[[lesson]]` entries of a copy's `course.toml`, in order.
fn entries(root: &Path) -> Vec<toml::Table> {
    let manifest: toml::Table = toml::from_str(&read(&root.join("course.toml"))).unwrap();
    manifest["lesson"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry.as_table().unwrap().clone())
        .collect()
}

fn field<'a>(entry: &'a toml::Table, key: &str) -> &'a str {
    entry[key].as_str().unwrap()
}

/// Every written lesson's folder of a copy, in the manifest's order.
fn lessons(root: &Path) -> Vec<PathBuf> {
    entries(root)
        .iter()
        .filter(|entry| field(entry, "status") == "written")
        .map(|entry| root.join(field(entry, "folder")))
        .collect()
}

/// The numbers of the lessons the manifest plans and that are not written yet.
fn planned(root: &Path) -> Vec<u32> {
    entries(root)
        .iter()
        .filter(|entry| field(entry, "status") == "planned")
        .map(entry_number)
        .collect()
}

/// The first line of `### Hint N` under `## Step S` in a `hints.md`, and how many hints the step has.
fn hint_line(hints_md: &str, step: u32, hint: usize) -> (String, usize) {
    let section: Vec<&str> = hints_md
        .lines()
        .skip_while(|line| !line.starts_with(&format!("## Step {step}")))
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .collect();
    let count = section
        .iter()
        .filter(|line| line.starts_with("### Hint"))
        .count();
    let line = section
        .iter()
        .skip_while(|line| **line != format!("### Hint {hint}"))
        .skip(1)
        .find(|line| !line.trim().is_empty())
        .map(|line| line.trim().to_string())
        .unwrap_or_default();
    (line, count)
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The line of the lesson map about `lesson`.
fn map_line<'a>(map: &'a str, lesson: &Expected) -> &'a str {
    map.lines()
        .find(|line| {
            line.trim_start()
                .starts_with(&format!("{}  ", lesson.label))
        })
        .unwrap_or_else(|| panic!("no line for lesson {} in:\n{map}", lesson.label))
}

#[test]
fn the_map_lists_every_lesson_in_order_with_its_title_and_one_next_step() {
    let sandbox = Sandbox::new(Exercise::Shipped);
    let output = sandbox.course(QUICK).assert().success();
    let map = stdout_of(output.get_output());

    let mut last_position = 0;
    for folder in lessons(&sandbox.root) {
        let lesson = Expected::of(&folder);
        let line = map_line(&map, &lesson);
        assert!(
            line.contains(&lesson.title),
            "{line:?} lacks the title {:?}",
            lesson.title
        );
        assert!(line.contains("not started"), "{line:?}");
        let position = map.find(line).unwrap();
        assert!(position > last_position, "lessons out of order:\n{map}");
        last_position = position;
    }

    let next: Vec<&str> = map
        .lines()
        .filter(|line| line.starts_with("Next: "))
        .collect();
    assert_eq!(next.len(), 1, "exactly one Next line:\n{map}");
    let first = Expected::of(&sandbox.lesson());
    assert!(next[0].contains(&first.exercise()), "{}", next[0]);
    assert!(
        next[0].ends_with(&format!("then run: cargo run -- check {}", first.number)),
        "{}",
        next[0]
    );
    let chapter = fs::read_dir(sandbox.root.join("book/src"))
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .find(|name| name.starts_with(&format!("{}-", first.label)) && name.ends_with(".md"));
    let written = chapter.as_ref().is_some_and(|chapter| {
        !read(&sandbox.root.join("book/src").join(chapter))
            .to_lowercase()
            .contains("coming soon")
    });
    match chapter.filter(|_| written) {
        Some(chapter) => assert!(
            next[0].contains(&format!("read book/src/{chapter}")),
            "{}",
            next[0]
        ),
        None => assert!(!next[0].contains("book/"), "{}", next[0]),
    }

    sandbox
        .course(QUICK)
        .arg("list")
        .assert()
        .success()
        .stdout(map);
}

/// A learner who does a later lesson first (05, say) goes on from it (06), and the map names the earlier
/// lessons still left rather than sending them back to 01 without a word.
#[test]
fn after_a_later_lesson_is_done_first_next_goes_on_from_it_and_names_the_earlier_ones_left() {
    let sandbox = Sandbox::new(Exercise::Shipped);
    let folders = lessons(&sandbox.root);
    if folders.len() < 3 {
        return;
    }
    let all: Vec<Expected> = folders.iter().map(|folder| Expected::of(folder)).collect();
    let (done, next) = (&all[all.len() - 2], &all[all.len() - 1]);
    let steps = done.steps.len();
    fs::write(
        &sandbox.progress,
        format!(
            "lesson {} passed={steps} total={steps}\nlesson {} passed=0 total=3 failing=1\nlast {}\n",
            done.label, all[1].label, done.label
        ),
    )
    .unwrap();
    let map = stdout_of(sandbox.course(QUICK).assert().success().get_output());
    let line = map
        .lines()
        .find(|line| line.starts_with("Next: "))
        .unwrap_or_else(|| panic!("no Next line:\n{map}"));
    assert!(
        line.ends_with(&format!("cargo run -- check {}", next.number)),
        "after lesson {} is done, Next should go on to lesson {}: {line}",
        done.label,
        next.label
    );
    let earlier: Vec<String> = all[..all.len() - 2]
        .iter()
        .map(|lesson| lesson.label.clone())
        .collect();
    let left = map
        .lines()
        .find(|line| line.starts_with("Not done yet before it: "))
        .unwrap_or_else(|| panic!("the earlier lessons left are not named:\n{map}"));
    for label in &earlier {
        assert!(left.contains(label.as_str()), "{label} missing: {left}");
    }
    assert!(
        left.contains(&format!("{} (in progress)", all[1].label)),
        "{left}"
    );
}

#[test]
fn a_lesson_that_does_not_exist_is_a_usage_error_that_lists_the_lessons() {
    let sandbox = Sandbox::new(Exercise::Shipped);
    let lessons: Vec<Expected> = lessons(&sandbox.root)
        .iter()
        .map(|folder| Expected::of(folder))
        .collect();
    for command in ["check", "hint", "reset"] {
        let output = sandbox
            .course(QUICK)
            .args([command, "99"])
            .write_stdin("")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("there is no lesson \"99\""));
        let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
        for lesson in &lessons {
            let listed = format!("{}  {}", lesson.label, lesson.title);
            assert!(
                stderr.contains(&listed),
                "{command} 99: {listed:?} missing from:\n{stderr}"
            );
        }
    }
    assert!(
        sandbox.progress_text().is_empty(),
        "nothing to record for a lesson that does not exist"
    );
}

#[test]
fn a_planned_lesson_without_its_folder_is_coming_soon_not_unknown() {
    let sandbox = Sandbox::new(Exercise::Shipped);
    let lessons: Vec<Expected> = lessons(&sandbox.root)
        .iter()
        .map(|folder| Expected::of(folder))
        .collect();
    let Some(&coming) = planned(&sandbox.root).first() else {
        eprintln!("skipped: every planned lesson is written");
        return;
    };
    for wanted in [coming.to_string(), format!("{coming:02}")] {
        for command in ["check", "hint", "reset"] {
            let output = sandbox
                .course(QUICK)
                .args([command, &wanted])
                .write_stdin("")
                .assert()
                .code(2)
                .stderr(predicate::str::contains(format!(
                    "lesson {coming:02} is not written yet: it is coming soon"
                )))
                .stderr(predicate::str::contains("there is no lesson").not());
            let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
            for lesson in &lessons {
                let listed = format!("{}  {}", lesson.label, lesson.title);
                assert!(stderr.contains(&listed), "{listed:?} missing:\n{stderr}");
            }
        }
    }
    let map = stdout_of(sandbox.course(QUICK).assert().success().get_output());
    assert!(
        map.lines()
            .any(|line| line.starts_with(&format!("  {coming:02}  "))
                && line.ends_with("coming soon")),
        "{map}"
    );
}

/// COURSE.md's promise to contributors: a new lesson is its folder and its manifest entry, with no change
/// to the runner. Here the first planned lesson is "written" as a copy of lesson 01.
#[test]
fn a_new_lesson_is_a_folder_and_a_manifest_entry() {
    let sandbox = Sandbox::lessons_and_book();
    let manifest = read(&sandbox.root.join("course.toml"));
    let Some(new) = entries(&sandbox.root)
        .into_iter()
        .find(|entry| field(entry, "status") == "planned")
    else {
        eprintln!("skipped: every planned lesson is written");
        return;
    };
    let (number, folder, title) = (
        entry_number(&new),
        field(&new, "folder"),
        field(&new, "title"),
    );
    copy_folder(&sandbox.lesson(), &sandbox.root.join(folder));
    let at = manifest.find(&format!("folder = \"{folder}\"")).unwrap();
    let written = format!(
        "{}{}",
        &manifest[..at],
        manifest[at..].replacen("status = \"planned\"", "status = \"written\"", 1)
    );
    fs::write(sandbox.root.join("course.toml"), written).unwrap();

    let map = stdout_of(sandbox.course(QUICK).assert().success().get_output());
    let row = format!("{number:02}  {title}");
    assert!(
        map.lines()
            .any(|line| line.contains(&row) && line.contains("not started")),
        "the map should list {row:?} as not started:\n{map}"
    );
    let first = Expected::of(&sandbox.lesson());
    let hints = read(&sandbox.root.join(folder).join("hints.md"));
    sandbox
        .course(QUICK)
        .args(["hint", &number.to_string()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            hint_line(&hints, first.steps[0].0, 1).0,
        ));
}

fn entry_number(entry: &toml::Table) -> u32 {
    entry["number"].as_integer().unwrap() as u32
}

fn copy_folder(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_map_does_not_send_the_learner_to_a_chapter_that_is_not_written() {
    let sandbox = Sandbox::lessons_and_book();
    let lesson = Expected::of(&sandbox.lesson());
    let chapter = sandbox
        .root
        .join("book/src")
        .join(format!("{}.md", lesson.folder));
    let next_line = |map: &str| {
        map.lines()
            .find(|line| line.starts_with("Next: "))
            .unwrap_or_else(|| panic!("no Next line:\n{map}"))
            .to_string()
    };

    fs::write(
        &chapter,
        "# Lesson 01\n\n*COMING SOON*: this chapter is being written.\n",
    )
    .unwrap();
    for deleted in [false, true] {
        if deleted {
            fs::remove_file(&chapter).unwrap();
        }
        let map = stdout_of(sandbox.course(QUICK).assert().success().get_output());
        assert!(
            map_line(&map, &lesson).contains("chapter not written yet"),
            "deleted: {deleted}\n{map}"
        );
        let next = next_line(&map);
        assert!(!next.contains("book/"), "deleted: {deleted}\n{next}");
        assert!(next.contains("not written yet"), "{next}");
        assert!(next.contains(&lesson.exercise()), "{next}");
    }

    fs::write(&chapter, "# Lesson 01\n\nThe whole chapter.\n").unwrap();
    let map = stdout_of(sandbox.course(QUICK).assert().success().get_output());
    assert!(!map_line(&map, &lesson).contains("not written"), "{map}");
    assert!(
        next_line(&map).contains(&format!("read book/src/{}.md", lesson.folder)),
        "{map}"
    );
}

#[test]
fn each_hint_call_shows_the_next_hint_of_the_step() {
    let sandbox = Sandbox::new(Exercise::Shipped);
    let lesson = Expected::of(&sandbox.lesson());
    let hints_md = read(&sandbox.lesson().join("hints.md"));
    let (first_hint, count) = hint_line(&hints_md, 1, 1);
    assert!(count >= 1, "step 1 of lesson {} has no hint", lesson.label);

    sandbox
        .course(QUICK)
        .args(["hint", &lesson.number.to_string()])
        .assert()
        .success()
        .stdout(predicate::str::contains("step 1: "))
        .stdout(predicate::str::contains(format!("Hint 1 of {count}")))
        .stdout(predicate::str::contains(first_hint));

    // `01` names the same lesson as `1`, and the count carries over.
    let second = sandbox
        .course(QUICK)
        .args(["hint", &lesson.label])
        .assert()
        .success();
    if count >= 2 {
        let (second_hint, _) = hint_line(&hints_md, 1, 2);
        second
            .stdout(predicate::str::contains(format!("Hint 2 of {count}")))
            .stdout(predicate::str::contains(second_hint));
        assert!(
            sandbox.progress_text().contains("hints 01 step=1 shown=2"),
            "{}",
            sandbox.progress_text()
        );
    } else {
        second.stdout(predicate::str::contains("No more hints"));
    }
}

#[test]
fn hint_with_step_suggests_a_command_that_repeats_the_step() {
    let sandbox = Sandbox::new(Exercise::Shipped);
    let lesson = Expected::of(&sandbox.lesson());
    let hints_md = read(&sandbox.lesson().join("hints.md"));
    // The last step: not the one a plain `hint` would show (step 1 before any check).
    let (step, _) = *lesson.steps.last().expect("the lesson has steps");
    let (_, count) = hint_line(&hints_md, step, 1);
    let command = format!("cargo run -- hint {} --step {step}", lesson.number);
    let args = [
        "hint",
        &lesson.number.to_string(),
        "--step",
        &step.to_string(),
    ];
    for shown in 1..=count {
        let output = sandbox.course(QUICK).args(args).assert().success();
        let text = stdout_of(output.get_output());
        assert!(text.contains(&format!("step {step}")), "{text}");
        if shown < count {
            assert!(
                text.contains(&format!("Run `{command}` again for hint {}", shown + 1)),
                "{text}"
            );
        }
    }
    sandbox
        .course(QUICK)
        .args(args)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("`{command} --all`")));
}

#[test]
fn checking_the_shipped_exercise_shows_step_1_failing_with_its_task_and_the_hint_command() {
    let sandbox = Sandbox::new(Exercise::Shipped);
    let lesson = Expected::of(&sandbox.lesson());
    let output = sandbox
        .course(BUILDS)
        .args(["check", &lesson.number.to_string()])
        .assert()
        .code(1);
    let report = stdout_of(output.get_output());

    assert!(
        predicate::str::is_match(r"(?m)^\s+step 1\s+FAILED\s")
            .unwrap()
            .eval(&report),
        "step 1 should be reported as failing:\n{report}"
    );
    for (number, _) in &lesson.steps {
        assert!(
            report.contains(&format!("step {number} ")),
            "step {number} missing from:\n{report}"
        );
    }
    let (_, task) = &lesson.steps[0];
    assert!(
        report.contains(&format!("Step 1: {task}")),
        "the task of step 1 ({task:?}) missing from:\n{report}"
    );
    assert!(report.contains("What happened:"), "{report}");
    assert!(
        report.contains(&format!("cargo run -- hint {}", lesson.number)),
        "{report}"
    );

    let progress = sandbox.progress_text();
    assert!(
        progress.contains(&format!("lesson {} passed=", lesson.label))
            && progress.contains(&format!("total={} failing=1", lesson.steps.len())),
        "{progress}"
    );
    let map = stdout_of(sandbox.course(QUICK).assert().success().get_output());
    assert!(
        map_line(&map, &lesson).contains(&format!("of {} steps", lesson.steps.len())),
        "{map}"
    );
}

#[test]
fn checking_the_solution_shows_every_step_passing_and_the_next_lesson() {
    let sandbox = Sandbox::new(Exercise::Solved);
    let lesson = Expected::of(&sandbox.lesson());
    let output = sandbox
        .course(BUILDS)
        .args(["check", &lesson.number.to_string()])
        .assert()
        .success();
    let report = stdout_of(output.get_output());

    for (number, _) in &lesson.steps {
        assert!(
            predicate::str::is_match(format!(r"(?m)^\s+step {number}\s+passed\s"))
                .unwrap()
                .eval(&report),
            "step {number} should pass:\n{report}"
        );
    }
    assert!(
        report.contains(&format!("lesson {} is done", lesson.label)),
        "{report}"
    );
    let folders = lessons(&sandbox.root);
    if let Some(next) = folders.get(1).map(|folder| Expected::of(folder)) {
        assert!(
            report.contains(&format!("Lesson {} is next: {}", next.label, next.title)),
            "{report}"
        );
        assert!(report.contains(&next.exercise()), "{report}");
    }
    let steps = lesson.steps.len();
    assert!(
        sandbox.progress_text().contains(&format!(
            "lesson {} passed={steps} total={steps}\n",
            lesson.label
        )),
        "{}",
        sandbox.progress_text()
    );

    let map = stdout_of(sandbox.course(QUICK).assert().success().get_output());
    assert!(
        map_line(&map, &lesson).trim_end().ends_with("done"),
        "{map}"
    );
    sandbox
        .course(QUICK)
        .args(["hint", &lesson.number.to_string()])
        .assert()
        .success()
        .stdout(predicate::str::contains("no hint needed"));
}

#[test]
fn a_passing_check_when_every_other_lesson_is_done_says_all_are_done_not_the_next_number() {
    let sandbox = Sandbox::new(Exercise::Solved);
    let lesson = Expected::of(&sandbox.lesson());
    let others: Vec<Expected> = lessons(&sandbox.root)
        .iter()
        .map(|folder| Expected::of(folder))
        .filter(|other| other.number != lesson.number)
        .collect();
    let mut progress = String::new();
    for other in &others {
        let steps = other.steps.len();
        progress.push_str(&format!(
            "lesson {} passed={steps} total={steps}\n",
            other.label
        ));
    }
    fs::write(&sandbox.progress, progress).unwrap();

    let output = sandbox
        .course(BUILDS)
        .args(["check", &lesson.number.to_string()])
        .assert()
        .success();
    let report = stdout_of(output.get_output());
    assert!(report.contains("every lesson so far is done"), "{report}");
    assert!(!report.contains("is next"), "{report}");
    let some_planned = !planned(&sandbox.root).is_empty();
    if some_planned {
        assert!(report.contains("More lessons are coming"), "{report}");
    }
    let map = stdout_of(sandbox.course(QUICK).assert().success().get_output());
    assert!(map.contains("Next: every lesson so far is done"), "{map}");
    assert_eq!(
        map.matches("coming soon").count(),
        planned(&sandbox.root).len(),
        "every planned lesson is in the map, once: {map}"
    );
}

#[test]
fn a_step_that_hangs_is_announced_after_3_s_then_stopped_at_the_time_limit_and_named() {
    let sandbox = Sandbox::new(Exercise::HangsInStep1);
    let lesson = Expected::of(&sandbox.lesson());
    // 4 s: long enough for the 3 s notice, short enough to keep the test run quick.
    let output = sandbox
        .course(BUILDS)
        .args(["check", &lesson.number.to_string(), "--timeout", "4"])
        .assert()
        .code(1);
    let report = stdout_of(output.get_output());
    let notice = "step 1 is still running... (it is stopped after 4 s; Ctrl-C is safe)\n";
    assert_eq!(report.matches(notice).count(), 1, "{report}");
    let table = predicate::str::is_match(r"(?m)^\s+step 1\s+did not finish\s").unwrap();
    assert!(table.eval(&report), "{report}");
    assert!(
        report.find(notice) < report.find("did not finish"),
        "the notice comes while the step runs, before the report:\n{report}"
    );
    assert!(report.contains("still running after 4 s"), "{report}");
}

#[test]
fn check_stops_a_hanging_step_after_10_s_by_default() {
    let sandbox = Sandbox::new(Exercise::Shipped);
    sandbox
        .course(QUICK)
        .args(["check", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("[default: 10]"));
}

#[test]
fn an_exercise_that_does_not_compile_shows_cargos_errors_and_what_to_do() {
    let sandbox = Sandbox::new(Exercise::DoesNotCompile);
    let lesson = Expected::of(&sandbox.lesson());
    sandbox
        .course(BUILDS)
        .args(["check", &lesson.label])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("does not compile yet"))
        .stdout(predicate::str::contains(lesson.exercise()))
        // rustc's message quotes the offending line.
        .stderr(predicate::str::contains("added_by_the_runner_tests"));
    assert!(sandbox.progress_text().is_empty());
}

/// Whether git can run; when it cannot, the test says so and is skipped, except in CI.
fn git_or_skip() -> bool {
    if runner_support::available("git") {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "git is missing, and CI needs it for the reset tests"
    );
    eprintln!("skipped: git is not installed");
    false
}

#[test]
fn reset_asks_for_yes_then_puts_the_exercise_back_as_committed_and_clears_progress() {
    if !git_or_skip() {
        return;
    }
    let sandbox = Sandbox::lessons_only();
    let git = |args: &[&str]| runner_support::run_ok("git", args, &sandbox.root);
    git(&["init", "--quiet"]);
    git(&["add", "--all"]);
    git(&[
        "-c",
        "user.name=runner tests",
        "-c",
        "user.email=runner-tests@example.invalid",
        "-c",
        "commit.gpgsign=false",
        "commit",
        "--quiet",
        "--message",
        "the course as shipped",
    ]);
    let lesson = Expected::of(&sandbox.lesson());
    let exercise = sandbox.lesson().join("src/exercise.rs");
    let shipped = read(&exercise);
    fs::write(&exercise, "// the learner's work\n").unwrap();
    fs::write(
        &sandbox.progress,
        format!(
            "lesson {0} passed=1 total=4 failing=2\nhints {0} step=2 shown=1\n",
            lesson.label
        ),
    )
    .unwrap();

    // stdin is not a terminal here, so there is nobody to ask: --yes is required.
    sandbox
        .course(QUICK)
        .args(["reset", &lesson.number.to_string()])
        .write_stdin("y\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(read(&exercise), "// the learner's work\n");

    sandbox
        .course(QUICK)
        .args(["reset", &lesson.number.to_string(), "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("back as shipped (HEAD)"));
    assert_eq!(read(&exercise), shipped);
    assert!(
        !sandbox
            .progress_text()
            .contains(&format!(" {} ", lesson.label)),
        "{}",
        sandbox.progress_text()
    );

    sandbox
        .course(QUICK)
        .args(["reset", &lesson.number.to_string(), "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already as shipped"));
}

#[test]
fn reset_outside_a_git_checkout_says_so() {
    if !git_or_skip() {
        return;
    }
    let sandbox = Sandbox::lessons_only();
    let exercise = sandbox.lesson().join("src/exercise.rs");
    let before = read(&exercise);
    sandbox
        .course(QUICK)
        .args(["reset", "1", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a git checkout"));
    assert_eq!(read(&exercise), before);
}

#[test]
fn help_lists_the_learner_commands_and_hides_the_dev_check() {
    let sandbox = Sandbox::new(Exercise::Shipped);
    sandbox
        .course(QUICK)
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("list"))
        .stdout(predicate::str::contains("check"))
        .stdout(predicate::str::contains("hint"))
        .stdout(predicate::str::contains("reset"))
        .stdout(predicate::str::contains("dev-check").not());
}

#[test]
fn reset_without_git_says_git_is_needed() {
    let sandbox = Sandbox::lessons_only();
    // An empty folder as the only place to look for programs: no git there.
    let empty = runner_support::unique_path("no-programs");
    fs::create_dir_all(&empty).unwrap();
    sandbox
        .course(QUICK)
        .args(["reset", "1", "--yes"])
        .env("PATH", &empty)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("git is not installed"));
    fs::remove_dir_all(&empty).unwrap();
}

/// `course watch` run as a child process, its stdout read line by line; killed when dropped.
struct Watching {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: String,
}

impl Watching {
    fn start(sandbox: &Sandbox, lesson: u32) -> Watching {
        let mut child = sandbox
            .spawnable()
            .args(["watch", &lesson.to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting course watch");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Watching {
            child,
            lines,
            seen: String::new(),
        }
    }

    /// Reads lines until one contains `text` (at most [`BUILDS`], since a check builds the lesson).
    #[track_caller]
    fn wait_for(&mut self, text: &str) {
        let deadline = std::time::Instant::now() + BUILDS;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    if line.contains(text) {
                        return;
                    }
                }
                Err(_) => panic!(
                    "course watch never printed {text:?}; it printed:\n{}",
                    self.seen
                ),
            }
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `watch` checks at once, shows only the step the learner is on with a short hint, checks again when
/// the exercise is saved, and when every step passes goes on to the next lesson by itself.
#[test]
fn watch_checks_again_on_each_save_and_moves_on_when_the_lesson_is_done() {
    let sandbox = Sandbox::new(Exercise::Watched);
    let lesson = Expected::of(&sandbox.lesson());
    let mut watch = Watching::start(&sandbox, lesson.number);
    watch.wait_for(&format!(
        "0 of {} steps pass. Step 1, {}: FAILED",
        lesson.steps.len(),
        step_title(&sandbox.lesson(), 1)
    ));
    let (_, hints) = hint_line(&read(&sandbox.lesson().join("hints.md")), 1, 1);
    watch.wait_for(&format!("Hint 1 of {hints} for step 1:"));
    watch.wait_for("for your next save");
    assert!(
        !watch.seen.contains("step 2") && !watch.seen.contains("Step 2"),
        "only the step the learner is on is shown:\n{}",
        watch.seen
    );

    // `watch` showed hint 1, so `hint` goes on with hint 2, and the next check shows the hint reached.
    if hints >= 2 {
        sandbox
            .course(QUICK)
            .args(["hint", &lesson.number.to_string()])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("Hint 2 of {hints}:")));
        let exercise = sandbox.lesson().join("src/exercise.rs");
        let mut text = read(&exercise);
        text.push_str("\n// still thinking\n");
        fs::write(&exercise, text).unwrap();
        watch.wait_for(&format!(
            "Hint 2 of {hints} for step 1 (the last you asked for):"
        ));
        watch.wait_for("for your next save");
    }

    // The learner saves a finished exercise.
    let exercise = sandbox.lesson().join("src/exercise.rs");
    fs::write(&exercise, read(&sandbox.lesson().join("src/solution.rs"))).unwrap();
    watch.wait_for(&format!("lesson {} is done!", lesson.label));
    let folders = lessons(&sandbox.root);
    if let Some(next) = folders.get(1).map(|folder| Expected::of(folder)) {
        watch.wait_for(&format!("Lesson {} is next: {}.", next.label, next.title));
        watch.wait_for(&format!("--- lesson {}: {}", next.label, next.title));
        watch.wait_for(&format!("0 of {} steps pass. Step 1,", next.steps.len()));
    }
}

/// The words of `step_N_words` in the lesson's steps.rs, as the runner shows them.
fn step_title(lesson: &Path, number: u32) -> String {
    let prefix = format!("fn step_{number}_");
    read(&lesson.join("tests/steps.rs"))
        .lines()
        .find_map(|line| {
            let rest = line.trim().strip_prefix(&prefix)?;
            Some(rest.split('(').next()?.replace('_', " "))
        })
        .expect("the step exists")
}

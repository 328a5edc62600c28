//! The TUI loop: keys, signals and worker events arrive on one channel; the model is updated as they
//! come and drawn at most `fps` times a second (only when something changed). Nothing here blocks on
//! a worker, and every way out goes through the same clean-up: workers stopped, terminal restored.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{
    self, Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};

use crate::action::{Action, Selection};
use crate::config::RunConfig;
use crate::controller::{Event, Session, forward_signals};
use crate::model::Model;
use crate::notes_wire::ToTalk;
use crate::record::Note;
use crate::record::replay::Recording;
use crate::talk::{Move, Runner};
use crate::term::{self, Term};
use crate::ui::picker::Outcome;
use crate::ui::replay_bar::ReplayView;
use crate::ui::{self, ViewState};
use crate::uitrace::{self, Starvation, Trace};

/// How often silent sides are checked when nothing else happens.
const IDLE_TICK: Duration = Duration::from_millis(250);

/// Fault injection for tests/it/reliability.rs, read once at start. `VERSUS_FAULT=ui-panic` panics inside
/// the first draw after both sides have reported; `VERSUS_FAULT=startup-error` fails start-up once the
/// terminal and the workers are up. Neither has an honest outside trigger (the UI must not panic, and
/// nothing after the terminal is taken should fail), yet the clean-up on both paths must be proven.
const FAULT_VAR: &str = "VERSUS_FAULT";

/// Why the loop ended.
enum Exit {
    Quit,
    Signal(i32),
    Duration,
}

pub fn run(cfg: RunConfig) -> anyhow::Result<ExitCode> {
    run_with(cfg, None)
}

/// The TUI with a talk running: `cfg` is the talk's first step, the runner knows the rest.
pub fn run_with(cfg: RunConfig, talk: Option<Runner>) -> anyhow::Result<ExitCode> {
    let recorder = crate::record::open(&cfg, false)?;
    drive(
        cfg,
        |cfg, tx| Ok(Session::start_with(cfg, tx, recorder)),
        ui::action_for,
        talk,
    )
}

/// `versus replay FILE`: the same loop and screen, fed by the recording.
pub fn replay(mut cfg: RunConfig, rec: Arc<Recording>) -> anyhow::Result<ExitCode> {
    // The recorded run's --duration is not the replay's.
    cfg.duration = None;
    drive(
        cfg,
        |cfg, tx| Ok(Session::replaying(cfg, tx, rec)?),
        ui::replay_keys::replay_action_for,
        None,
    )
}

/// Runs the loop on the session `start` makes, with `keys` turning key presses into actions (a
/// talk's keys first while one runs).
fn drive(
    cfg: RunConfig,
    start: impl FnOnce(RunConfig, mpsc::Sender<Event>) -> anyhow::Result<Session>,
    keys: fn(&KeyEvent) -> Option<Action>,
    mut talk: Option<Runner>,
) -> anyhow::Result<ExitCode> {
    term::install_panic_hook();
    let (tx, rx) = mpsc::channel();
    forward_signals(tx.clone())?;
    // `versus notes` attaches here; its → / ← come in on the loop's channel like keys.
    let notes_off = talk.as_mut().and_then(|t| {
        let notes_tx = tx.clone();
        t.open_notes(Arc::new(move |m| notes_tx.send(Event::Notes(m)).is_ok()))
            .err()
    });
    let mut term = Term::enter()?;
    let input_tx = tx.clone();
    let trace = Trace::from_env();
    let input_trace = trace.clone();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            // Blocking reads on a thread of their own: the loop never waits on the terminal.
            while let Ok(ev) = event::read() {
                if matches!(ev, TermEvent::Key(_)) {
                    input_trace.key(uitrace::monotonic_ns());
                }
                if input_tx.send(Event::Input(ev)).is_err() {
                    return;
                }
            }
        })?;
    let frame_time = Duration::from_secs(1) / cfg.fps.max(1);
    let deadline = cfg.duration.map(|d| Instant::now() + d);
    let mut session = start(cfg, tx)?;
    if notes_off.is_some() {
        session.notice = notes_off;
    }
    let fault = std::env::var(FAULT_VAR).unwrap_or_default();
    if fault == "startup-error" {
        // Dropping the session and the terminal on the way out is the clean-up under test.
        anyhow::bail!("{FAULT_VAR}=startup-error: a start-up failure injected for the tests");
    }
    let view = ViewState {
        ascii: !ui::locale_is_utf8(),
        theme: session.cfg.theme,
        // A scenario is a claim to show: its caption starts on.
        caption: session.cfg.scenario.is_some() || talk.is_some(),
        talk: talk.as_ref().map(Runner::view),
        selection: session.cfg.one_side.map(Selection::of).unwrap_or_default(),
        // A replay never records: its recording is what plays.
        recording: session.cfg.record.is_some() && session.replay.is_none(),
        ..ViewState::default()
    };
    let mut lp = Loop {
        session,
        view,
        frozen: None,
        panic_in_ui: fault == "ui-panic",
        trace,
        starvation: Starvation::starting_now(),
        size: (0, 0),
        keys,
        talk,
    };
    let exit = lp.run(&mut term, &rx, frame_time, deadline);
    // Workers first (they may take a moment), then the terminal, then report.
    lp.session.stop_workers();
    drop(term);
    let exit = exit?;
    Ok(match exit {
        Exit::Quit | Exit::Duration => ExitCode::SUCCESS,
        Exit::Signal(sig) => ExitCode::from(128 + sig as u8),
    })
}

struct Loop {
    session: Session,
    view: ViewState,
    /// The model as it was when space was pressed; sampling goes on underneath.
    frozen: Option<Model>,
    /// `VERSUS_FAULT=ui-panic` (see FAULT_VAR).
    panic_in_ui: bool,
    /// Keys and frames for benches/key-latency.sh (VERSUS_TRACE_FRAMES), off by default.
    trace: Trace,
    /// How far behind the frames are, said on screen when it is too far.
    starvation: Starvation,
    /// The terminal's size at the last frame: what `e` exports.
    size: (u16, u16),
    /// The key table: live or replay.
    keys: fn(&KeyEvent) -> Option<Action>,
    /// The talk, when one runs (`--talk`).
    talk: Option<Runner>,
}

impl Loop {
    fn run(
        &mut self,
        term: &mut Term,
        rx: &Receiver<Event>,
        frame_time: Duration,
        deadline: Option<Instant>,
    ) -> anyhow::Result<Exit> {
        // Keys redraw within one frame; new samples only once per sample interval, since they come
        // from both sides at that pace and drawing each one alone would double the frames for nothing.
        let data_time = Duration::from_millis(self.session.cfg.interval_ms).max(frame_time);
        let mut pending: Option<Duration> = Some(Duration::ZERO);
        let mut last_draw = Instant::now();
        // When the first change since the last frame arrived: a frame is due at the later of this
        // and last_draw + gap.
        let mut changed_at = last_draw;
        loop {
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return Ok(Exit::Duration);
            }
            if let Some(gap) = pending.filter(|&gap| now >= last_draw + gap) {
                let due = (last_draw + gap).max(changed_at);
                self.draw(term, now.saturating_duration_since(due))?;
                last_draw = now;
                pending = None;
            }
            // Booth mode (--loop): the step moves on by itself.
            if let Some(due) = self.talk.as_ref().and_then(Runner::deadline)
                && now >= due
            {
                self.act(Action::TalkNext);
                pending = Some(Duration::ZERO);
                changed_at = now;
                continue;
            }
            let wait = pending.map_or(IDLE_TICK, |gap| {
                (last_draw + gap).saturating_duration_since(now)
            });
            let wait = self
                .talk
                .as_ref()
                .and_then(Runner::deadline)
                .map_or(wait, |due| wait.min(due.saturating_duration_since(now)));
            // Take everything that is waiting at once, then draw once.
            let first = match rx.recv_timeout(wait) {
                Ok(ev) => Some(ev),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Ok(Exit::Quit),
            };
            for ev in first.into_iter().chain(rx.try_iter()) {
                let gap = if matches!(ev, Event::Worker(_) | Event::Loadgen(_) | Event::Replay(_)) {
                    data_time
                } else {
                    frame_time
                };
                if pending.is_none() {
                    changed_at = Instant::now();
                }
                pending = Some(pending.map_or(gap, |p| p.min(gap)));
                if let Some(exit) = self.handle(ev) {
                    return Ok(exit);
                }
            }
            let before = self
                .session
                .model
                .sides
                .each_ref()
                .map(|s| s.status.clone());
            self.session.tick();
            if before
                != self
                    .session
                    .model
                    .sides
                    .each_ref()
                    .map(|s| s.status.clone())
            {
                if pending.is_none() {
                    changed_at = Instant::now();
                }
                pending = Some(frame_time);
            }
        }
    }

    /// Draws one frame, `late` after it was due, and notes how far behind the UI is.
    fn draw(&mut self, term: &mut Term, late: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        let start_ns = uitrace::monotonic_ns();
        self.view.notice = self
            .session
            .notice
            .clone()
            .or_else(|| self.starvation.notice());
        self.view.replay = self.session.replay.as_ref().map(|r| {
            let p = &r.position;
            ReplayView::new(&r.recorded, p.at_us, p.end_us, p.paused, p.speed)
        });
        let model = self.frozen.as_ref().unwrap_or(&self.session.model);
        let view = &self.view;
        let panic_now = self.panic_in_ui && model.sides.iter().all(|s| s.figures.is_some());
        let mut size = self.size;
        term.draw(|f| {
            size = (f.area().width, f.area().height);
            assert!(
                !panic_now,
                "{FAULT_VAR}=ui-panic: a panic in the UI injected for the tests"
            );
            ui::render(f, model, view)
        })?;
        self.size = size;
        let flushed_ns = uitrace::monotonic_ns();
        let run_delay_ns = uitrace::own_run_delay_ns();
        let due_ns = start_ns.saturating_sub(late.as_nanos() as u64);
        self.trace.frame(due_ns, start_ns, flushed_ns, run_delay_ns);
        self.starvation
            .frame(Instant::now(), late, start.elapsed(), run_delay_ns);
        self.session.relieve_overload(self.starvation.last);
        Ok(())
    }

    fn handle(&mut self, ev: Event) -> Option<Exit> {
        match ev {
            Event::Worker(w) => self.session.on_worker(w),
            Event::Loadgen(l) => self.session.on_loadgen(l),
            Event::Replay(r) => self.session.on_replay(r),
            Event::Signal(sig) => return Some(Exit::Signal(sig)),
            // The notes terminal's → / ←: the same intents as the talk's own keys.
            Event::Notes(m) => {
                let (key, action) = match m {
                    ToTalk::Next => ("notes Right", Action::TalkNext),
                    ToTalk::Prev => ("notes Left", Action::TalkPrev),
                };
                self.session.note(Note::Key {
                    key: key.into(),
                    action: format!("{action:?}"),
                });
                return self.act(action);
            }
            Event::Input(TermEvent::Key(key)) if key.kind == KeyEventKind::Press => {
                let action = if self.view.picker.is_some() {
                    ui::picker_action_for(&key)
                } else if self.view.source.is_some() {
                    ui::source_action_for(&key)
                } else if self.talk.is_some() {
                    // The talk's keys first; every other key works inside a step.
                    ui::talk_action_for(&key).or_else(|| ui::action_for(&key))
                } else {
                    (self.keys)(&key)
                };
                if let Some(a) = action {
                    self.session.note(Note::Key {
                        key: key_name(&key),
                        action: format!("{a:?}"),
                    });
                }
                if self.view.help && action != Some(Action::Quit) {
                    self.view.help = false;
                    return None;
                }
                return action.and_then(|a| self.act(a));
            }
            Event::Input(_) => {}
        }
        None
    }

    fn act(&mut self, action: Action) -> Option<Exit> {
        match action {
            Action::Quit => return Some(Exit::Quit),
            Action::Help => self.view.help = !self.view.help,
            Action::Select(sel) => {
                self.view.selection = sel;
                self.session.apply(action, sel);
            }
            Action::Caption => self.view.caption = !self.view.caption,
            Action::SourceView => {
                // It opens at the workload's core loop; ↑ scrolls up to the rest.
                self.view.source = match self.view.source {
                    Some(_) => None,
                    None => Some(ui::source::start(&self.session.model.run.workload)),
                };
            }
            Action::OsView => self.view.os_view = !self.view.os_view,
            Action::BigView => self.view.big = !self.view.big,
            Action::Theme => {
                self.view.theme = self.view.theme.next();
                self.session.notice = Some(format!("theme: {}", self.view.theme.name()));
            }
            Action::SourceScroll(rows) => {
                let most = ui::source::rows_at_most(&self.session.model.run.workload);
                self.view.source = self
                    .view
                    .source
                    .map(|s| s.saturating_add_signed(i16::from(rows)).min(most));
            }
            Action::OpenPicker => {
                let current = self.session.scenario_index();
                self.view.picker = Some(ui::Picker::new(&self.session.cfg.catalog, current));
            }
            Action::Picker(step) => {
                let outcome = self.view.picker.as_mut().map(|p| p.step(step));
                match outcome {
                    Some(Outcome::Choose(i)) => return self.act(Action::SwitchScenario(i)),
                    Some(Outcome::Close) => self.view.picker = None,
                    Some(Outcome::Stay) | None => {}
                }
            }
            Action::SwitchScenario(_) => {
                self.view.picker = None;
                // A new claim on screen: say what to look for (c hides it again), keys act on both.
                self.view.caption = true;
                self.view.selection = Selection::Both;
                self.session.apply(action, self.view.selection);
            }
            Action::TalkNext | Action::TalkPrev => {
                let mv = if action == Action::TalkNext {
                    Move::Next
                } else {
                    Move::Prev
                };
                if let Some(talk) = self.talk.as_mut()
                    && talk.go(&mut self.session, mv)
                {
                    self.view.talk = Some(talk.view());
                    // A new step on screen: what to look at shows, keys act on both sides.
                    self.view.caption = true;
                    self.view.selection = Selection::Both;
                }
            }
            Action::Freeze => {
                self.frozen = if self.frozen.is_some() {
                    None
                } else {
                    Some(self.session.model.clone())
                };
                self.view.frozen = self.frozen.is_some();
            }
            Action::Export => self.session.notice = Some(self.export()),
            _ => self.session.apply(action, self.view.selection),
        }
        // One side at a time: the keys act on the side that runs.
        if let Some(side) = self.session.cfg.one_side {
            self.view.selection = Selection::of(side);
        }
        None
    }

    /// Key `e`: the screen as last drawn (frozen or live) into the working directory.
    fn export(&self) -> String {
        let model = self.frozen.as_ref().unwrap_or(&self.session.model);
        let (w, h) = self.size;
        let view = ui::export::exported(&self.view, self.session.cfg.export_chrome);
        let buf = ui::export::screen(model, &view, w, h);
        let run = &model.run;
        let name = run.scenario.as_deref().unwrap_or(&run.workload);
        let stem = ui::export::file_stem(name, crate::utc::now_s());
        ui::export::export_notice(&ui::export::write(Path::new("."), &stem, &buf))
    }
}

/// A key as a recording names it: `+`, `ctrl-c`, `Left`.
fn key_name(key: &KeyEvent) -> String {
    let name = match key.code {
        KeyCode::Char(c) => c.to_string(),
        other => format!("{other:?}"),
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        format!("ctrl-{name}")
    } else {
        name
    }
}

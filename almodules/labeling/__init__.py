"""A person labels: the session and its file, the plan it runs, the widget and the terminal labeler."""

from almodules.labeling.session_file import FORMAT, session_header, read_events, append_event, rewrite_events
from almodules.labeling.plan import (SKIP, UNSURE, NON_LABELS, SessionPlan, SessionInputs, load_session_inputs,
                                     read_unlabeled_texts, parse_answer, data_location, relocated)
from almodules.labeling.session import LabelingSession
from almodules.labeling.annotator import ScriptedAnnotator, RECORDED_COLUMNS, recorded_session
from almodules.labeling.terminal import KEYS, label_in_terminal, round_summary
from almodules.labeling.widget import session_figure, LabelingWidget

__all__ = ['FORMAT', 'session_header', 'read_events', 'append_event', 'rewrite_events', 'SKIP', 'UNSURE',
           'NON_LABELS', 'SessionPlan', 'SessionInputs', 'load_session_inputs', 'read_unlabeled_texts',
           'parse_answer', 'data_location', 'relocated', 'LabelingSession', 'ScriptedAnnotator', 'RECORDED_COLUMNS',
           'recorded_session', 'KEYS', 'label_in_terminal', 'round_summary', 'session_figure', 'LabelingWidget']

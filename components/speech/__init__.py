"""Voice input: offline speech recognition (faster-whisper, Whisper base packaged on PyPI) for English and Mandarin.

`SpeechRecognizer.transcribe(audio)` is the one entry point the chat, the API, the evaluator and the benchmark share;
`VoiceTurns` runs a transcript through the dialogue manager's ordinary turn with the speech metadata in its trace.
Nothing here imports gradio.
"""
from components.speech.audio_input import SpeechInputError
from components.speech.recognizer import SpeechRecognizer, Transcript
from components.speech.spoken_turn import VoiceTurns

__all__ = ["SpeechInputError", "SpeechRecognizer", "Transcript", "VoiceTurns"]

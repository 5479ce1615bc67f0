"""What a customer waiting for a person is told about their place in the queue, in words."""
from __future__ import annotations

_EN_NUMBERS = ("no one", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_ZH_NUMBERS = "零一两三四五六七八九十"


def queue_position_words(ahead: int, language: str) -> str:
    """'you are next' / 'one customer is ahead of you' / '12 customers are ahead of you' (and in Chinese)."""
    ahead = max(0, int(ahead))
    if language == "zh":
        if ahead == 0:
            return "您是下一位"
        return f"您前面还有{_ZH_NUMBERS[ahead] if ahead <= 10 else ahead}位客户"
    if ahead == 0:
        return "you are next"
    count = _EN_NUMBERS[ahead] if ahead <= 10 else str(ahead)
    return f"{count} customer{'s are' if ahead > 1 else ' is'} ahead of you"


def handoff_notice(ahead: int, language: str) -> str:
    """The bot's message when it puts the conversation in the human queue."""
    if language == "zh":
        return f"好的，正在为您转接人工客服，请稍候。{queue_position_words(ahead, 'zh')}。"
    return (f"I'm connecting you with a human agent; {queue_position_words(ahead, 'en')}. "
            "An agent will reply here shortly.")

"""Thumbs reach analytics on the running app: a thumbs-down through /feedback is counted as thumbs_down."""


def test_thumbs_down_through_the_api_reaches_analytics(running_app):
    client = running_app.client()
    before = client.predict("", "", api_name="/analytics")
    turn = client.predict("How long do refunds take?", "", api_name="/chat")
    assert turn["bot_message_id"], turn
    client.predict(turn["conversation_id"], turn["bot_message_id"], -1, api_name="/feedback")
    after = client.predict("", "", api_name="/analytics")
    assert after["thumbs_down"] == before["thumbs_down"] + 1
    assert after["thumbs_up"] == before["thumbs_up"]

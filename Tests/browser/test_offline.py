"""Losing the connection: the stream shows it and resumes from its cursor; messages written
meanwhile wait in a queue and reach the room exactly once."""
import time

from parley_browser import GENEROUS_LIMITS, Account, Chat


def test_a_message_written_offline_is_queued_and_sent_exactly_once(server, browsers, account):
    account("traveller")
    homebody = account("homebody")
    chat = Chat(browsers(), server).log_in("traveller")
    chat.driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    chat.js("window.dispatchEvent(new Event('offline'))")
    chat.wait(lambda: chat.connection() in ("offline", "reconnecting"), message="the stream did not show it was down")
    assert "reconnecting" in chat.text_of("connection").lower()
    chat.send("written in a tunnel")
    chat.wait(lambda: chat.pending() == [["written in a tunnel", "waiting"]], message="the message was not shown as queued")
    homebody.post(1, "meanwhile, at home")
    time.sleep(1.5)
    assert "written in a tunnel" not in chat.texts()

    chat.driver.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    chat.js("window.dispatchEvent(new Event('online'))")
    chat.wait(lambda: chat.connection() == "live", message="the stream did not come back")
    chat.wait(lambda: "written in a tunnel" in chat.texts(), message="the queued message was not sent")
    # What happened while offline came through the resumed stream.
    chat.wait(lambda: "meanwhile, at home" in chat.texts())
    time.sleep(3)  # room for a retry that would double it
    history = [m["text"] for m in homebody.history(1)]
    assert history.count("written in a tunnel") == 1
    assert chat.texts().count("written in a tunnel") == 1
    assert chat.pending() == []


# Installed before the page's own scripts: no EventSource (so the client falls back to long-poll,
# whose answers the test can hold back), and a fetch that loses the answer to the first post.
FLAKY_NETWORK = """
window.EventSource = undefined;
const realFetch = window.fetch;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
window.__posts = [];
window.__holdEvents = false;
window.fetch = async (url, init) => {
  const path = String(url);
  if (path.endsWith('/messages') && init?.method === 'POST') {
    window.__posts.push(JSON.parse(init.body).client_id);
    const response = await realFetch(url, init);
    if (window.__posts.length === 1) throw new TypeError('Failed to fetch');
    return response;
  }
  const response = await realFetch(url, init);
  if (path.startsWith('/api/events')) while (window.__holdEvents) await sleep(50);
  return response;
};
"""


def test_a_send_whose_answer_is_lost_is_retried_with_the_same_client_id(server, browsers, account):
    account("unlucky")
    watcher = account("watcher2")
    driver = browsers()
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FLAKY_NETWORK})
    chat = Chat(driver, server).log_in("unlucky")  # live over long-poll
    assert chat.js("return window.EventSource") is None
    chat.js("window.__holdEvents = true")
    chat.send("sent into the void")
    chat.wait(lambda: len(chat.js("return window.__posts")) >= 2, message="the lost send was not retried")
    chat.wait(lambda: chat.pending() == [] and "sent into the void" in chat.texts())
    posts = chat.js("return window.__posts")
    assert len(posts) == 2 and posts[0] == posts[1], f"the retry used another client_id: {posts}"
    # The stream then brings the same message: it is not shown twice.
    chat.js("window.__holdEvents = false")
    watcher.post(1, "after the hiccup")
    chat.wait(lambda: "after the hiccup" in chat.texts())
    assert chat.texts().count("sent into the void") == 1
    assert [m["text"] for m in watcher.history(1)].count("sent into the void") == 1


def test_the_stream_and_the_queue_survive_a_server_restart(browsers, tmp_path):
    from live_server import ParleyProcess
    first = ParleyProcess(tmp_path, env=GENEROUS_LIMITS).start()
    try:
        poster = Account(first, "restarter")
        Account(first, "listener")
        chat = Chat(browsers(), first).log_in("listener")
        poster.post(1, "before restart")
        chat.wait(lambda: "before restart" in chat.texts())
    finally:
        first.stop()
    chat.wait(lambda: chat.connection() == "reconnecting", message="no reconnecting state while the server was down")
    chat.send("sent while the server was down")
    chat.wait(lambda: [p[0] for p in chat.pending()] == ["sent while the server was down"])
    second = ParleyProcess(tmp_path, port=first.port, env=GENEROUS_LIMITS).start()
    try:
        again = Account(second, "restarter")
        for n in range(5):
            again.post(1, f"after restart {n}")
        chat.wait(lambda: "after restart 4" in chat.texts(), timeout=40, message="the stream did not resume")
        chat.wait(lambda: chat.connection() == "live")
        chat.wait(lambda: "sent while the server was down" in chat.texts(), timeout=40)
        time.sleep(2)
        seen = chat.texts()
        assert seen.count("before restart") == 1
        assert [t for t in seen if t.startswith("after restart")] == [f"after restart {n}" for n in range(5)]
        assert [m["text"] for m in again.history(1)].count("sent while the server was down") == 1
        assert seen.count("sent while the server was down") == 1
    finally:
        second.stop()

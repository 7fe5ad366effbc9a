"""A FAKE of Fusion's UIManager as Resolve hands it to scripts (``fusion.UIManager``, ``bmd.UIDispatcher``).

Resolve cannot be installed here. This follows the UIManager documentation and the public
scripts that use it: elements are built from a props dict (groups also take a list of
children), ``dispatcher.AddWindow(props, children)`` returns a window whose ``GetItems()`` maps
IDs to elements, handlers are assigned as ``win.On.<ID>.Clicked`` / ``win.On.<windowID>.Close``,
``ui.Timer({"ID", "Interval", "SingleShot"})`` has ``Start()``/``Stop()`` and its ``Timeout``
events go to the dispatcher's ``On.Timeout`` handler with ``ev["who"]`` = the timer's ID, and
``RunLoop()`` processes events until a handler calls ``ExitLoop()``.

The fake's ``RunLoop`` fires due timers on the wall clock and, between events, calls ``user``
(a test's stand-in for the person at the keyboard) who may ``click`` or ``close``. Every handler
call is timed (``handler_sec``): a handler that waits for the render is what froze Resolve.
Every property write is kept in the element's ``history``. Python 3.6 compatible.
"""
import time


class FakeElement(object):
    def __init__(self, kind, props, children=()):
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "children", list(children))
        object.__setattr__(self, "history", [])
        for key, value in props.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, key, value):
        self.history.append((key, value))
        object.__setattr__(self, key, value)

    def texts(self):
        return [value for key, value in self.history if key == "Text"]

    def walk(self):
        yield self
        for child in self.children:
            for element in child.walk():
                yield element


class _Slot(object):
    """``On.<ID>``: event name → handler."""

    def __init__(self):
        object.__setattr__(self, "handlers", {})

    def __setattr__(self, event, handler):
        self.handlers[event] = handler


class _On(object):
    """``On``: ``On.<ID>.<Event> = f``, ``On[ID].<Event> = f``, or (dispatcher) ``On.Timeout = f``."""

    def __init__(self):
        object.__setattr__(self, "slots", {})
        object.__setattr__(self, "direct", {})

    def __getattr__(self, name):
        return self.slots.setdefault(name, _Slot())

    __getitem__ = __getattr__

    def __setattr__(self, event, handler):
        self.direct[event] = handler


class FakeTimer(object):
    def __init__(self, props):
        self.ID, self.Interval = props.get("ID", ""), props.get("Interval", 0)
        self.SingleShot = props.get("SingleShot", False)
        self.IsActive, self.due = False, None

    def Start(self):
        self.IsActive, self.due = True, time.time() + self.Interval / 1000.0

    def Stop(self):
        self.IsActive = False


class FakeUIManager(object):
    def __init__(self):
        self.timers = []

    def _group(self, kind, args):
        props, children = ({}, args[0]) if len(args) == 1 else args
        return FakeElement(kind, props, children if isinstance(children, list) else [children])

    def VGroup(self, *args):
        return self._group("VGroup", args)

    def HGroup(self, *args):
        return self._group("HGroup", args)

    def Label(self, props):
        return FakeElement("Label", props)

    def Button(self, props):
        return FakeElement("Button", props)

    def Slider(self, props):
        return FakeElement("Slider", props)

    def Timer(self, props):
        timer = FakeTimer(props)
        self.timers.append(timer)
        return timer


class FakeWindow(object):
    def __init__(self, props, root):
        self.props, self.root, self.On = props, root, _On()
        self.ID, self.visible = props.get("ID"), False

    def GetItems(self):
        return {element.ID: element for element in self.root.walk() if getattr(element, "ID", None)}

    def Show(self):
        self.visible = True

    def Hide(self):
        self.visible = False


class FakeUIDispatcher(object):
    """``bmd.UIDispatcher(ui)``. ``user(dispatcher)`` runs between events; ``max_sec`` bounds a test."""

    def __init__(self, ui, user=None, max_sec=300.0):
        self.ui, self.user, self.max_sec = ui, user, max_sec
        self.On, self.windows, self.handler_sec = _On(), [], []
        self._exit = None

    def AddWindow(self, props, children):
        root = children if isinstance(children, FakeElement) else FakeElement("Root", {}, children)
        window = FakeWindow(props, root)
        self.windows.append(window)
        return window

    def ExitLoop(self, code=0):
        self._exit = code

    def _call(self, handler, ev):
        started = time.time()
        handler(ev)
        self.handler_sec.append(time.time() - started)

    def click(self, window, element_id):
        """The user clicks a button (ignored when it is disabled, as Qt does)."""
        if window.GetItems()[element_id].__dict__.get("Enabled", True) is False:
            return False
        handler = window.On.slots.get(element_id, _Slot()).handlers.get("Clicked")
        if handler:
            self._call(handler, {"who": element_id, "what": "Clicked", "window": window.ID})
        return bool(handler)

    def close(self, window):
        """The user closes the window with its title-bar button."""
        handler = window.On.slots.get(window.ID, _Slot()).handlers.get("Close")
        if handler:
            self._call(handler, {"who": window.ID, "what": "Close", "window": window.ID})

    def RunLoop(self):
        self._exit, deadline = None, time.time() + self.max_sec
        while self._exit is None:
            if time.time() > deadline:
                raise AssertionError("RunLoop still running after {} s: no handler called ExitLoop".format(self.max_sec))
            for timer in self.ui.timers:
                if timer.IsActive and time.time() >= timer.due:
                    timer.IsActive = not timer.SingleShot
                    timer.due += timer.Interval / 1000.0
                    handler = self.On.direct.get("Timeout")
                    if handler:
                        self._call(handler, {"who": timer.ID, "what": "Timeout"})
            if self.user is not None and self._exit is None:
                self.user(self)
            time.sleep(0.01)
        return self._exit


class FakeFusion(object):
    """``fusion`` as Resolve passes it to a script: only what the plugin uses."""

    def __init__(self):
        self.UIManager = FakeUIManager()


class FakeBmd(object):
    """``bmd``: ``UIDispatcher(ui)`` builds a FakeUIDispatcher with this object's ``user``."""

    def __init__(self, user=None, max_sec=300.0):
        self.user, self.max_sec, self.dispatchers = user, max_sec, []

    def UIDispatcher(self, ui):
        dispatcher = FakeUIDispatcher(ui, self.user, self.max_sec)
        self.dispatchers.append(dispatcher)
        return dispatcher

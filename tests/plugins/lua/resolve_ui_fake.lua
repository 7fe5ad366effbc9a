-- A FAKE of Fusion's UIManager as Resolve hands it to Lua scripts (fu.UIManager, bmd.UIDispatcher);
-- Resolve cannot be installed here. It follows the UIManager documentation and public Lua scripts:
-- elements are built as ui:Label{...} (groups take their children in the table's array part),
-- disp:AddWindow(props) takes the root group in its array part (or as a second argument),
-- win:GetItems() maps IDs to elements, handlers are `function win.On.<ID>.Clicked(ev)` and
-- `win.On.<windowID>.Close`, ui:Timer{ID, Interval, SingleShot} has Start/Stop and its Timeout
-- events go to `disp.On.Timeout(ev)` with ev.who = the timer's ID, disp:RunLoop() runs until a
-- handler calls disp:ExitLoop(). The same contract as tests/plugins/resolve_ui_fake.py.
--
-- Between events RunLoop lets a scripted user act ($FAKE_USER): "close" clicks the button once it
-- reads Close; "cancel:<prefix>" clicks Cancel when the status starts with <prefix>, then closes the
-- window at once (mid-cancel), and clicks Close at the end. Every handler call is timed on the wall
-- clock (a handler that waited for the render is what froze Resolve). fake_ui_report() prints
-- UI lines: every Status text and Bar value written, handler count and longest handler, state.
local function now()
  local pipe = io.popen("date +%s.%N")
  local value = tonumber(pipe:read("*a"))
  pipe:close()
  return value
end

local elements, timers, dispatchers = {}, {}, {}

local function element(kind, props)
  local values, history, children = {}, {}, {}
  for key, value in pairs(props or {}) do
    if type(key) == "number" then children[#children + 1] = value else values[key] = value end
  end
  local self = setmetatable({}, {
    __index = function(_, key)
      if key == "_history" then return history elseif key == "_children" then return children
      elseif key == "_kind" then return kind end
      return values[key]
    end,
    __newindex = function(_, key, value) history[#history + 1] = {key, value}; values[key] = value end})
  elements[#elements + 1] = self
  return self
end

local UI = {}
for _, kind in ipairs({"VGroup", "HGroup", "Label", "Button", "Slider"}) do
  UI[kind] = function(ui, props) return element(kind, props) end
end
function UI:Timer(props)
  local timer = {ID = props.ID, Interval = props.Interval or 0, SingleShot = props.SingleShot or false,
                 IsActive = false, due = nil, starts = 0}
  function timer:Start() self.IsActive, self.due, self.starts = true, now() + self.Interval / 1000, self.starts + 1 end
  function timer:Stop() self.IsActive = false end
  timers[#timers + 1] = timer
  return timer
end

local function slots()  -- On.<ID>.<Event> = f: ID tables made on first use
  return setmetatable({}, {__index = function(t, key) local slot = {}; rawset(t, key, slot); return slot end})
end

local function walk(el, found)
  if el.ID then found[el.ID] = el end
  for _, child in ipairs(el._children) do walk(child, found) end
  return found
end

local Dispatcher = {}
Dispatcher.__index = Dispatcher

function Dispatcher:AddWindow(props, root)
  local window = {ID = props.ID, props = props, On = slots(), visible = false, root = root or props[1]}
  function window:GetItems() return walk(self.root, {}) end
  function window:Show() self.visible = true end
  function window:Hide() self.visible = false end
  self.windows[#self.windows + 1] = window
  return window
end

function Dispatcher:ExitLoop(code) self.exit = code or 0 end

function Dispatcher:call(handler, ev)
  local started = now()
  handler(ev)
  local took = now() - started
  self.handler_calls = self.handler_calls + 1
  if took > self.handler_max then self.handler_max = took end
end

function Dispatcher:click(window, id)
  if window:GetItems()[id].Enabled == false then return false end  -- Qt ignores a disabled button
  local handler = rawget(window.On, id) and window.On[id].Clicked
  if handler then self:call(handler, {who = id, what = "Clicked", window = window.ID}) end
  return handler ~= nil
end

function Dispatcher:close(window)
  local handler = rawget(window.On, window.ID) and window.On[window.ID].Close
  if handler then self:call(handler, {who = window.ID, what = "Close", window = window.ID}) end
end

local user = os.getenv("FAKE_USER") or "close"
local cancel_at = user:match("^cancel:(.*)$")

function Dispatcher:act()
  local window = self.windows[1]
  local items = window:GetItems()
  if cancel_at and not self.cancelled and (items.Status.Text or ""):sub(1, #cancel_at) == cancel_at then
    self.cancelled = self:click(window, "Cancel")
    self:close(window)  -- closing while it cancels: the loop must wait for the CLI to stop
  elseif items.Cancel.Text == "Close" then
    self:click(window, "Cancel")
  end
end

function Dispatcher:RunLoop()
  self.exit = nil
  local deadline = now() + tonumber(os.getenv("FAKE_MAX_SEC") or "240")
  while self.exit == nil do
    local t = now()
    if t > deadline then error("RunLoop still running at the deadline: no handler called ExitLoop", 0) end
    for _, timer in ipairs(timers) do
      if timer.IsActive and t >= timer.due then
        timer.IsActive = not timer.SingleShot
        timer.due = timer.due + timer.Interval / 1000
        if self.On.Timeout then self:call(self.On.Timeout, {who = timer.ID, what = "Timeout"}) end
      end
    end
    if self.exit == nil then self:act() end
    os.execute("sleep 0.02")
  end
  return self.exit
end

fu = {UIManager = setmetatable({}, {__index = UI})}
bmd = {}
function bmd.UIDispatcher(ui)
  local disp = setmetatable({ui = ui, On = {}, windows = {}, handler_calls = 0, handler_max = 0}, Dispatcher)
  dispatchers[#dispatchers + 1] = disp
  return disp
end

function fake_ui_report()
  for _, disp in ipairs(dispatchers) do
    local items = disp.windows[1]:GetItems()
    for _, change in ipairs(items.Status._history) do
      if change[1] == "Text" then print("UI Status " .. tostring(change[2])) end
    end
    for _, change in ipairs(items.Bar._history) do
      if change[1] == "Value" then print("UI Bar " .. tostring(change[2])) end
    end
    print("UI Button " .. tostring(items.Cancel.Text))
    print("UI handlers " .. disp.handler_calls .. " max_sec " .. string.format("%.3f", disp.handler_max))
    print("UI visible " .. tostring(disp.windows[1].visible) .. " cancelled " .. tostring(disp.cancelled or false))
    for _, timer in ipairs(timers) do print("UI timer " .. timer.ID .. " active " .. tostring(timer.IsActive)) end
  end
end

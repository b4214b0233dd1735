#!/usr/bin/env node
import { ordersApp } from '../examples/orders/app';

ordersApp().synth();
